/**
 * Bun.listen back end (uSockets underneath). Bun's socket.write returns the
 * bytes the kernel took and buffers nothing, which is exactly the contract:
 * the core keeps the rest and Bun calls `drain` when writable again.
 */
import type { SocketAddress } from "../contract/address.ts";
import type { Socket } from "bun";
import { socketBackend } from "./socket.ts";
import { ALPN_HTTP1, formatSubject, NO_TLS10_NO_TLS11, TLS12_CIPHERS } from "../tls/profile.ts";
import type { ConnectionHandler, Listener, ListenOptions, TlsOptions, Transport } from "../contract/socket.ts";
import type { RuntimeListen } from "./types.ts";

class BunTransport implements Transport {
  constructor(protected readonly socket: Socket<unknown>) {}
  write(data: Uint8Array): number {
    const n = this.socket.write(data);
    // Bun returns -1 when the socket is already closed: nothing was taken, and `close` follows.
    return n < 0 ? 0 : n;
  }
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }
  shutdown(): void {
    this.socket.shutdown();
  }
  close(): void {
    this.socket.end();
  }
  abort(): void {
    this.socket.terminate();
  }
  reset(): void {
    // uSockets closes with SO_LINGER 0 here: the peer gets an RST (checked: Node's client sees ECONNRESET, Bun 1.4.5).
    this.socket.terminate();
  }
  // Read only when echo asks (Bun 1.4.5 fills these per call, not per connection).
  remoteAddress(): SocketAddress | null {
    const s = this.socket;
    return s.remoteAddress ? { address: s.remoteAddress, port: s.remotePort } : null;
  }
  localAddress(): SocketAddress | null {
    const s = this.socket;
    return s.localAddress ? { address: s.localAddress, port: s.localPort } : null;
  }
}

/** RFC 7301 §3.1's wire format: each protocol id after its one-octet length. */
function alpnWire(ids: readonly string[]): Uint8Array {
  const bytes: number[] = [];
  for (const id of ids) bytes.push(id.length, ...new TextEncoder().encode(id));
  return new Uint8Array(bytes);
}

/** A TLS connection: the same transport, and the client certificate's subject (mutual TLS). */
class BunTlsTransport extends BunTransport {
  readonly tls = true;
  constructor(private readonly tlsSocket: Socket<unknown>) {
    super(tlsSocket);
  }
  /** Read at the first data (the core's firstRead), when the handshake is done. */
  alpnProtocol(): string | null {
    return this.tlsSocket.alpnProtocol || null;
  }
  peerCertificateSubject(): string | null {
    const cert = this.tlsSocket.getPeerCertificate() as { subject?: Record<string, string> } | null | undefined;
    return formatSubject(cert?.subject);
  }
}

/** Bun.listen's `tls` with the profile of src/tls/profile.ts (BoringSSL takes a cipher list, and no minimum version but the SSL_OP_NO_* bits). */
function bunTls(options: TlsOptions): Bun.TLSOptions {
  return {
    cert: options.cert,
    key: options.key,
    ciphers: TLS12_CIPHERS,
    secureOptions: NO_TLS10_NO_TLS11,
    // Bun 1.4.5 takes the ALPN list in wire format (RFC 7301 §3.1: length-prefixed names), as a plain string is not split.
    ALPNProtocols: alpnWire(options.alpn ?? [ALPN_HTTP1]),
    ...(options.clientCa === null ? {} : { ca: options.clientCa, requestCert: true, rejectUnauthorized: true }),
  };
}

export const listenBun: RuntimeListen = async <C>(options: ListenOptions, handler: ConnectionHandler<C>, tlsOptions: TlsOptions | null): Promise<Listener> => {
  const server = Bun.listen<C | undefined>({
    hostname: options.host,
    port: options.port,
    // uSockets sets SO_REUSEPORT unless told `exclusive`; without it a second server would
    // silently share the port instead of failing with EADDRINUSE. (Bun.listen has no
    // backlog option: uSockets passes its own, 512.)
    exclusive: !options.reusePort,
    // Bun 1.4.5: `exclusive: false` alone does not set SO_REUSEPORT (a second process gets
    // "Failed to listen"); `reusePort` does. bun-types declares it only on connect options.
    ...({ reusePort: options.reusePort } as object),
    allowHalfOpen: true,
    ...(tlsOptions === null ? {} : { tls: bunTls(tlsOptions) }),
    socket: {
      // The transport class is chosen per listener, so plain HTTP pays nothing for TLS. Bun calls
      // `open` at the TCP accept, before the handshake: the core's header timeout covers a stalled one.
      open:
        tlsOptions === null
          ? (socket) => {
              // No setNoDelay: uSockets already sets TCP_NODELAY on every accepted socket (strace, Bun
              // 1.4.5), so a second call would be one more system call per connection for nothing.
              socket.data = handler.open(new BunTransport(socket as Socket<unknown>));
            }
          : (socket) => {
              socket.data = handler.open(new BunTlsTransport(socket as Socket<unknown>));
            },
      // Bun 1.4.5 calls `open` at the TCP accept only when a `handshake` callback exists (without
      // one, after the handshake: a stalled handshake then escaped the header timeout).
      ...(tlsOptions === null
        ? {}
        : {
            handshake(socket: Socket<C | undefined>, success: boolean, authorizationError: Error | null) {
              // A failed handshake (plain HTTP, garbage): a FIN, not terminate's RST, so that curl says "empty reply"
              // rather than "connection reset". Bun.listen's TLS takes the socket at accept, so the 400 that
              // Node sends to plain HTTP (src/tls/plain-http.ts) cannot be written here (docs/tls.md).
              if (!success) socket.end();
              // A client certificate that does not verify (mutual TLS): Bun reports it and leaves the connection to us.
              else if (authorizationError !== null && tlsOptions.clientCa !== null) socket.terminate();
            },
          }),
      data(socket, bytes) {
        handler.data(socket.data as C, bytes);
      },
      drain(socket) {
        handler.drain(socket.data as C);
      },
      end(socket) {
        handler.end(socket.data as C);
      },
      close(socket) {
        if (socket.data !== undefined) handler.close(socket.data);
      },
      error(socket) {
        // A reset or other socket error: `close` follows and the core forgets the connection.
        if (socket.data !== undefined) handler.close(socket.data);
      },
    },
  });
  return {
    port: server.port,
    stop() {
      server.stop(false);
    },
  };
};

/** The socket back end on Bun: this listener and the shared clock (socket.ts). */
export const serve = socketBackend(listenBun);
