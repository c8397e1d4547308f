/**
 * The socket contract between a protocol core and the I/O back ends, declared once.
 *
 * Shaped after uSockets: the back end calls `open / data / drain / end / close` on a
 * {@link ConnectionHandler}; the core answers through a {@link Transport} whose `write` says
 * how many bytes it took, so backpressure, timeouts and close semantics live once, in the
 * core. Only files in `src/adapters/` and `src/io/` implement it (and may touch `Bun`,
 * `Deno`, `node:net` or an FFI).
 */
import type { SocketAddress } from "./address.ts";
import type { CoreClock } from "./clock.ts";
import type { RuntimeName } from "./runtime.ts";

/** One accepted connection, as the core sees it. */
export interface Transport {
  /**
   * Hands bytes to the runtime. Returns how many it took (0..data.length).
   * When fewer than all were taken, the back end calls `handler.drain`
   * once it can take more. The core never mutates `data` after passing it
   * here (buffers are prebuilt and shared), so a back end may keep a
   * reference until it is flushed. `last`: the core closes the connection
   * right after this write, so a back end may hold the bytes back and send
   * them in one segment with the FIN.
   */
  write(data: Uint8Array, last?: boolean): number;
  /** Stop delivering `data` events (the core's output is backed up). */
  pause(): void;
  /** Deliver `data` events again. */
  resume(): void;
  /**
   * Half-close: send FIN after everything taken has been flushed, keep
   * reading so that a client still sending does not get an RST that would
   * destroy the response in flight (RFC 9112 §9.6). The core closes later.
   */
  shutdown(): void;
  /**
   * Close the connection after flushing what was taken; the back end calls
   * `handler.close` when it is really gone.
   */
  close(): void;
  /** Close now, dropping output not yet flushed: for a peer that never reads, or a forced shutdown. */
  abort(): void;
  /**
   * Reset the connection: SO_LINGER {1, 0} then close, so the peer gets an RST (ECONNRESET), as
   * from a crashed upstream (--reset-rate). Output not yet flushed is dropped; `handler.close` follows.
   */
  reset(): void;
  /** The peer's address and port (echo shows them); null where the back end cannot tell. */
  remoteAddress?(): SocketAddress | null;
  /** The local address and port the connection arrived on. */
  localAddress?(): SocketAddress | null;
  /**
   * The verified client certificate's subject, e.g. `CN=client, O=Example` (mutual TLS,
   * --tls-client-ca); null on plain HTTP, or where the runtime cannot tell. Absent on back ends
   * without TLS. tls/subject.test.ts checks it on every runtime; no responder shows it yet.
   */
  peerCertificateSubject?(): string | null;
  /**
   * The protocol ALPN chose on a TLS socket (RFC 7301), e.g. `h2` or `http/1.1`; null on plain
   * TCP or when the client offered none. Absent = the back end cannot tell (treated as null).
   */
  alpnProtocol?(): string | null;
  /** The connection is TLS (the request's `tls`, HTTP/2's `https` scheme); absent = plain TCP. */
  readonly tls?: boolean;
}

/** The core's side of a connection; `C` is the core's per-connection state. */
export interface ConnectionHandler<C> {
  /** A connection was accepted; returns the state the back end passes back. */
  open(transport: Transport): C;
  /** Bytes arrived. `bytes` may be a reused buffer: valid only during this call. */
  data(conn: C, bytes: Uint8Array): void;
  /** A previous `write` returned less than asked, and the socket can take more now. */
  drain(conn: C): void;
  /** The peer half-closed (EOF). */
  end(conn: C): void;
  /**
   * The connection is gone (either side closed it, or an error). A back end may call it more
   * than once for one connection (Bun's adapter from both its `close` and `error` callbacks):
   * the handler must be idempotent.
   */
  close(conn: C): void;
}

/** Listening options every back end honours. */
export interface ListenOptions {
  /** Address to bind, e.g. `0.0.0.0` or `127.0.0.1`. */
  host: string;
  /** TCP port; 0 picks a free one (read it back from {@link Listener.port}). */
  port: number;
  /** Length of the kernel's accept queue. */
  backlog: number;
  /** Set SO_REUSEPORT so several worker processes can bind the same port. */
  reusePort: boolean;
}

/** A bound, accepting listener. */
export interface Listener {
  /** The port actually bound. */
  readonly port: number;
  /**
   * Stop accepting new connections; open ones are left to the core. A promise, where a
   * connection the runtime already accepted may still reach the handler after this returns
   * (Deno): it settles once none can, so the core is not asked to drain before it has them all.
   */
  stop(): void | Promise<void>;
}

/**
 * HTTPS for a socket back end: PEM text the worker read at start (a restarted worker reads
 * the files again, which is how SIGHUP rotates certificates). TLS 1.2 and 1.3 only, ALPN
 * `http/1.1`; where the runtime lets the server choose, Mozilla's "intermediate" ciphers.
 */
export interface TlsOptions {
  /** Certificate chain, leaf first (PEM). */
  readonly cert: string;
  /** The leaf's private key (PEM; ECDSA or RSA). */
  readonly key: string;
  /** CA bundle (PEM) that client certificates must chain to; null = no client certificates asked for. */
  readonly clientCa: string | null;
  /** HTTPS on this port while `port` serves plain HTTP (--tls-port); null = `port` serves HTTPS only. */
  readonly port: number | null;
  /** A handshake not finished within this long is cut (--header-timeout). */
  readonly handshakeTimeoutMs: number;
  /** The protocols offered in ALPN (RFC 7301), most preferred first (`h2`, `http/1.1`); absent = `http/1.1` alone. */
  readonly alpn?: readonly string[];
}

/** What every back end is given besides the core. */
export interface ServeOptions extends ListenOptions {
  /** The runtime running this worker. */
  readonly runtime: RuntimeName;
  /** false = `--no-eager` (the epoll loop waits for readiness before every recv/send); socket back ends ignore it. */
  readonly eager: boolean;
  /** HTTPS, or null for plain HTTP. Only the socket back ends take it (config.ts refuses TLS with --io syscall|uring). */
  readonly tls: TlsOptions | null;
  /** A condition the operator should see (a fallback, accepts paused on EMFILE): one line. */
  warn(line: string): void;
}

/** The core as a back end drives it (src/http/server.ts's HttpCore is one): its connection handler, and its clock. */
export interface ServedCore<C> extends CoreClock {
  readonly handler: ConnectionHandler<C>;
}

/** What a back end returns once it is accepting. */
export interface Served extends Listener {
  /** The HTTPS port when plain HTTP and HTTPS are served side by side (--tls-port); else null. */
  readonly tlsPort: number | null;
  /** The core has no connection left (or was told to cut them all): release the clock and the loop. */
  close(): void;
  /** Set when another back end serves than the one asked for: `--io uring` where the kernel refused io_uring. */
  readonly fallback?: "syscall";
}

/**
 * One back end: the socket adapters (one file per runtime), the epoll loop, the io_uring loop.
 * Each module exports one `serve` of this type; src/backends.ts lists them.
 */
export type Backend = <C>(options: ServeOptions, core: ServedCore<C>) => Promise<Served>;
