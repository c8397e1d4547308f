/**
 * node:net back end. Node buffers writes itself, so `write` hands over
 * whole buffers and reports 0 (take nothing) only while Node's queue is past
 * its high-water mark; the core then queues the rest and Node's `drain`
 * event resumes it.
 */
import type { SocketAddress } from "../contract/address.ts";
import * as net from "node:net";
import * as tls from "node:tls";
import { ALPN_HTTP1, formatSubject, NO_RENEGOTIATION, TLS12_CIPHERS } from "../tls/profile.ts";
import { plainHttpAnswer, TLS_HANDSHAKE_RECORD } from "../tls/plain-http.ts";
import { socketBackend } from "./socket.ts";
import type { ConnectionHandler, Listener, ListenOptions, TlsOptions, Transport } from "../contract/socket.ts";
import type { RuntimeListen } from "./types.ts";

/** node:net under the Transport contract (also what the test harnesses bridge their sessions with). */
export class NodeTransport implements Transport {
  /** Node's queue passed its high-water mark; take nothing until `drain`. */
  blocked = false;
  constructor(private readonly socket: net.Socket) {}
  write(data: Uint8Array): number {
    if (this.blocked || this.socket.destroyed) return 0;
    if (!this.socket.write(data)) this.blocked = true;
    return data.length;
  }
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }
  shutdown(): void {
    this.socket.end();
  }
  close(): void {
    const s = this.socket;
    // Flush what Node still holds, then close both directions.
    if (s.writableLength === 0) s.destroy();
    else s.end(() => s.destroy());
  }
  abort(): void {
    this.socket.destroy();
  }
  reset(): void {
    try {
      // SO_LINGER 0 then close (Node 16.17+). It throws on a handle that is not TCP (a TLS wrap on some versions).
      this.socket.resetAndDestroy();
    } catch {
      this.socket.destroy();
    }
  }
  remoteAddress(): SocketAddress | null {
    const s = this.socket;
    return s.remoteAddress === undefined ? null : { address: s.remoteAddress, port: s.remotePort ?? 0 };
  }
  localAddress(): SocketAddress | null {
    const s = this.socket;
    return s.localAddress === undefined ? null : { address: s.localAddress, port: s.localPort ?? 0 };
  }
}

/** SO_REUSEPORT in server.listen arrived in Node 22.12 / 23.1. */
export function nodeHasReusePort(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** A TLS connection: the same transport, and the client certificate's subject (mutual TLS). */
class NodeTlsTransport extends NodeTransport {
  readonly tls = true;
  constructor(private readonly tlsSocket: tls.TLSSocket) {
    super(tlsSocket);
  }
  alpnProtocol(): string | null {
    return this.tlsSocket.alpnProtocol || null;
  }
  peerCertificateSubject(): string | null {
    const cert = this.tlsSocket.getPeerCertificate();
    return cert === null || Object.keys(cert).length === 0 ? null : formatSubject(cert.subject as unknown as Record<string, string>);
  }
}

/**
 * node:tls with the profile of src/tls/profile.ts. A handshake not done within the header
 * timeout is cut by Node (handshakeTimeout): the core sees a connection only once it is secure.
 */
function createTlsServer(options: TlsOptions, onSecure: (socket: tls.TLSSocket) => void): net.Server {
  const server = tls.createServer(
    {
      cert: options.cert,
      key: options.key,
      minVersion: "TLSv1.2",
      ciphers: TLS12_CIPHERS,
      secureOptions: NO_RENEGOTIATION,
      ALPNProtocols: [...(options.alpn ?? [ALPN_HTTP1])],
      handshakeTimeout: options.handshakeTimeoutMs,
      ...(options.clientCa === null ? {} : { ca: options.clientCa, requestCert: true, rejectUnauthorized: true }),
      // net.Server's options, which tls.Server passes on.
      ...({ noDelay: true, allowHalfOpen: true } as object),
    },
    onSecure,
  );
  // A failed handshake (plain HTTP, garbage, an old protocol, no client certificate): Node
  // closes the socket; the listener only keeps the error from being thrown.
  server.on("tlsClientError", (_error, socket) => socket.destroy());
  return server;
}

/**
 * Plain HTTP on the TLS port gets nginx's kind of answer (src/tls/plain-http.ts), then a clean close:
 * the FIN after the answer, what the client still sends read and dropped so that the close is not a
 * reset (a close with unread bytes sends RST, RFC 9293 §3.10.7.1), cut after `timeoutMs` at most.
 */
function refusePlainHttp(socket: net.Socket, timeoutMs: number): void {
  socket.end(plainHttpAnswer(new Date()));
  socket.on("data", () => {});
  socket.on("end", () => socket.destroy());
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  socket.on("close", () => clearTimeout(timer));
}

/**
 * The TLS port's listener: a net.Server that reads each connection's first byte before node:tls
 * takes the socket, so that plain HTTP can be told apart and answered. The byte goes back with
 * `unshift` and node:tls reads what the socket already buffered before its own reads (_tls_wrap's
 * "socket already has some buffered data"). A connection that sends nothing is cut after
 * `timeoutMs` (the header timeout), as the handshake timeout did before it; the handshake then gets
 * its own `handshakeTimeout`.
 */
function peekingTlsServer(tlsServer: net.Server, timeoutMs: number): net.Server {
  return net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    // Before node:tls has the socket, a reset would otherwise be thrown.
    socket.on("error", () => {});
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    const onEnd = (): void => {
      clearTimeout(timer);
      socket.destroy();
    };
    socket.once("end", onEnd);
    const peek = (): void => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) return void socket.once("readable", peek);
      clearTimeout(timer);
      socket.off("end", onEnd);
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE_RECORD) tlsServer.emit("connection", socket);
      else refusePlainHttp(socket, timeoutMs);
    };
    socket.once("readable", peek);
  });
}

export const listenNode: RuntimeListen = <C>(options: ListenOptions, handler: ConnectionHandler<C>, tlsOptions: TlsOptions | null): Promise<Listener> => {
  if (options.reusePort && !nodeHasReusePort(process.versions.node)) {
    throw new TypeError(`node ${process.versions.node} has no SO_REUSEPORT (needs 22.12+); share one listener with node:cluster instead`);
  }
  const drive = (socket: net.Socket, transport: NodeTransport): void => {
    const conn = handler.open(transport);
    socket.on("data", (bytes: Buffer) => handler.data(conn, bytes));
    socket.on("drain", () => {
      transport.blocked = false;
      handler.drain(conn);
    });
    socket.on("end", () => handler.end(conn));
    socket.on("close", () => handler.close(conn));
    // ECONNRESET and friends: `close` follows; without a listener Node would throw.
    socket.on("error", () => {});
  };
  // The transport class is chosen per listener, so plain HTTP pays nothing for TLS.
  const server =
    tlsOptions === null
      ? net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => drive(socket, new NodeTransport(socket)))
      : peekingTlsServer(
          createTlsServer(tlsOptions, (socket) => drive(socket, new NodeTlsTransport(socket))),
          tlsOptions.handshakeTimeoutMs,
        );
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const listenOptions: net.ListenOptions & { reusePort?: boolean } = { host: options.host, port: options.port, backlog: options.backlog };
    if (options.reusePort) listenOptions.reusePort = true;
    server.listen(listenOptions, () => {
      server.off("error", reject);
      const address = server.address() as net.AddressInfo;
      resolve({
        port: address.port,
        stop() {
          server.close();
        },
      });
    });
  });
};

/** The socket back end on Node: this listener and the shared clock (socket.ts). */
export const serve = socketBackend(listenNode);
