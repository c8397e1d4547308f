/**
 * The socket contract between the HTTP core and the I/O back ends.
 *
 * Shaped after uSockets: the back end calls `open / data / drain / end /
 * close` on a {@link ConnectionHandler}; the core answers through a
 * {@link Transport} whose `write` says how many bytes it took, so
 * backpressure, timeouts and close semantics live once, in the core.
 * Only files in `src/adapters/` (and `src/io/`) may touch `Bun`, `Deno`,
 * `node:net` or an FFI.
 */

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
  /** The peer's address and port (echo shows them); null where the back end cannot tell. */
  remoteAddress?(): { readonly address: string; readonly port: number } | null;
  /** The local address and port the connection arrived on. */
  localAddress?(): { readonly address: string; readonly port: number } | null;
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
  /** The connection is gone (either side closed it, or an error). Called once. */
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
  /** Stop accepting new connections; open ones are left to the core. */
  stop(): void;
}

/** One back end: binds, accepts, and drives a handler. */
export type Adapter = <C>(options: ListenOptions, handler: ConnectionHandler<C>) => Promise<Listener>;
