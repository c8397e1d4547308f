/**
 * Deno.listen back end. Deno's reads and writes are promises, so this is
 * the one adapter with a loop per connection; it still hands the core every
 * read at once and keeps at most one write in flight (the core queues the
 * rest and is told to `drain` when that write completes).
 */
import type { SocketAddress } from "../contract/address.ts";
import { readFileSync } from "node:fs";
import { socketBackend } from "./socket.ts";
import { ALPN_HTTP1 } from "../tls/profile.ts";
import type { ConnectionHandler, Listener, ListenOptions, TlsOptions, Transport } from "../contract/socket.ts";
import type { RuntimeListen } from "./types.ts";

/** Per-connection read buffer: reads are concurrent across connections, so it cannot be shared. */
const READ_BUFFER = 16 * 1024;
/**
 * Buffers of closed connections, reused by the next ones: with one request per connection a
 * fresh 16 KiB buffer each time is most of what the garbage collector has to do.
 */
const pool: Uint8Array[] = [];
const POOL_MAX = 1024;

/** A TCP address as echo shows it; null for a Unix socket. */
function netAddress(addr: Deno.NetAddr): SocketAddress | null {
  return addr.transport === "tcp" ? { address: addr.hostname, port: addr.port } : null;
}

/** Deno 2.9's TlsConn, the part used here (deno-net.d.ts declares the plain Conn only). */
interface TlsConn {
  handshake(): Promise<{ readonly alpnProtocol: string | null }>;
}

class DenoTransport implements Transport {
  writing = false;
  wantDrain = false;
  paused = false;
  closed = false;
  private wake: (() => void) | null = null;
  onWritten: () => void = () => {};
  onClosed: () => void = () => {};

  /** TLS: the protocol ALPN chose, known once the handshake is done (serveConnection awaits it); undefined on plain TCP. */
  alpn: string | null | undefined = undefined;

  constructor(
    private readonly conn: Deno.Conn,
    readonly tls: boolean,
  ) {}

  alpnProtocol(): string | null {
    return this.alpn ?? null;
  }

  remoteAddress(): SocketAddress | null {
    return netAddress(this.conn.remoteAddr);
  }
  localAddress(): SocketAddress | null {
    return netAddress(this.conn.localAddr);
  }

  write(data: Uint8Array): number {
    if (this.closed) return 0;
    if (this.writing) {
      this.wantDrain = true;
      return 0;
    }
    this.writing = true;
    this.inFlight = data;
    this.written = 0;
    this.conn.write(data).then(this.onWrite, this.onWriteError);
    return data.length;
  }

  /** The buffer being written and how much of it the kernel took. */
  private inFlight: Uint8Array | null = null;
  private written = 0;

  // Bound once: a `then` per write, not an async function (and its promise) per write.
  private readonly onWrite = (n: number): void => {
    const data = this.inFlight!;
    this.written += n;
    if (this.written < data.length && !this.closed) {
      this.conn.write(data.subarray(this.written)).then(this.onWrite, this.onWriteError);
      return;
    }
    this.inFlight = null;
    this.writing = false;
    if (this.finishClose !== null) return this.finishClose();
    if (this.wantDrain) {
      this.wantDrain = false;
      this.onWritten();
    }
  };

  private readonly onWriteError = (): void => {
    this.inFlight = null;
    this.writing = false;
    this.finishClose = null;
    this.close();
  };

  /** Resolves when reading may go on. */
  whenResumed(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.wake?.();
    this.wake = null;
  }

  /** Set while a close waits for the write in flight. */
  private finishClose: (() => void) | null = null;

  shutdown(): void {
    const half = () => {
      this.finishClose = null;
      this.conn.closeWrite().catch(() => {});
    };
    if (this.writing) this.finishClose = half;
    else half();
  }
  abort(): void {
    this.writing = false;
    this.finishClose = null;
    this.close();
  }
  /**
   * Deno 2.9's Deno.Conn has no SO_LINGER and no file descriptor to set it through FFI, so this
   * back end cannot send an RST: the closest it can do is close at once, answer unsent (the peer
   * sees the connection end without a response: "empty reply", not ECONNRESET). Deno's syscall
   * and uring back ends (the default where FFI is allowed) do send the RST.
   */
  reset(): void {
    this.abort();
  }
  close(): void {
    if (this.closed) return;
    if (this.writing) {
      this.finishClose = () => {
        this.writing = false;
        this.finishClose = null;
        this.close();
      };
      return;
    }
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // Already closed by the peer's reset.
    }
    this.resume();
    this.onClosed();
  }
}

async function serveConnection<C>(conn: Deno.Conn, handler: ConnectionHandler<C>): Promise<void> {
  // Deno 2.9's TlsConn has no setNoDelay (its writes are whole TLS records anyway).
  if (conn.setNoDelay !== undefined) conn.setNoDelay(true);
  const tls = "handshake" in conn;
  const transport = new DenoTransport(conn, tls);
  const state = handler.open(transport);
  transport.onWritten = () => handler.drain(state);
  transport.onClosed = () => handler.close(state);
  const buf = pool.pop() ?? new Uint8Array(READ_BUFFER);
  let eof = false;
  try {
    // The handshake before the first read, which would run it anyway: ALPN's choice is then known at the core's
    // first data (firstRead opens an HTTP/2 session for `h2`). The core's header timeout still covers a stalled one.
    if (tls) transport.alpn = (await (conn as unknown as TlsConn).handshake()).alpnProtocol;
    while (!transport.closed) {
      if (transport.paused) {
        await transport.whenResumed();
        continue;
      }
      const n = await conn.read(buf);
      if (n === null) {
        eof = true;
        handler.end(state);
        break;
      }
      handler.data(state, buf.subarray(0, n));
    }
  } catch {
    // Reset by the peer, or closed under the read by the core: either way the connection is over.
  }
  // After EOF the core may still be flushing, and calls close() when done; after an error, close now.
  if (!eof) transport.close();
  // No read is pending on it any more, and the core never keeps a reference to read bytes.
  if (pool.length < POOL_MAX) pool.push(buf);
}

/**
 * Deno.listen leaves IPV6_V6ONLY at the system default, net.ipv6.bindv6only (0 on Linux
 * unless changed; Bun's uSockets, libuv and the syscall back end set it off themselves).
 * Where it is 1, `::` alone would serve IPv6 only, so a second socket on 0.0.0.0 takes IPv4.
 */
function v6OnlyByDefault(): boolean {
  try {
    return readFileSync("/proc/sys/net/ipv6/bindv6only", "utf8").trim() === "1";
  } catch {
    return false;
  }
}

/** Accepts until `stopped()`; settles when the last accept() has settled (see listenDeno's stop). */
function acceptLoop<C>(listener: Deno.Listener, handler: ConnectionHandler<C>, stopped: () => boolean): Promise<void> {
  return (async () => {
    while (!stopped()) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        if (stopped()) return;
        // EMFILE and the like: keep the listener, try again on the next turn.
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      void serveConnection(conn, handler);
    }
  })();
}

/**
 * Deno.listenTls (rustls: TLS 1.2 and 1.3 only, AEAD suites only, so src/tls/profile.ts's
 * profile without options). The handshake runs inside the first read, after the core has
 * the connection: its header timeout covers a stalled one, and a failed one is a read error.
 * Deno 2.9's listenTls cannot ask for client certificates (src/tls/support.ts refuses
 * --tls-client-ca on Deno at start).
 */
function bind(hostname: string, port: number, reusePort: boolean, tls: TlsOptions | null): Deno.Listener {
  if (tls === null) return Deno.listen({ hostname, port, reusePort });
  return Deno.listenTls({ hostname, port, reusePort, cert: tls.cert, key: tls.key, alpnProtocols: [...(tls.alpn ?? [ALPN_HTTP1])] });
}

export const listenDeno: RuntimeListen = async <C>(options: ListenOptions, handler: ConnectionHandler<C>, tls: TlsOptions | null): Promise<Listener> => {
  const listener = bind(options.host, options.port, options.reusePort, tls);
  const port = (listener.addr as Deno.NetAddr).port;
  const listeners = [listener];
  if (options.host === "::" && v6OnlyByDefault()) {
    try {
      listeners.push(bind("0.0.0.0", port, options.reusePort, tls));
    } catch (e) {
      listener.close();
      throw e;
    }
  }
  let stopped = false;
  const loops = listeners.map((l) => acceptLoop(l, handler, () => stopped));
  return {
    port,
    stop() {
      stopped = true;
      for (const l of listeners) l.close();
      // Deno 2.9 runs accept(2) as soon as accept() is called or the socket is readable, so the
      // accept() pending here may already hold a connection taken from the kernel's queue: it is
      // delivered after close() (never migrated to another SO_REUSEPORT socket, as one still in
      // the queue is). A worker that exited now would reset it; it is served once the loop sees it.
      return Promise.all(loops).then(() => {});
    },
  };
};

/** The socket back end on Deno: this listener and the shared clock (socket.ts). */
export const serve = socketBackend(listenDeno);
