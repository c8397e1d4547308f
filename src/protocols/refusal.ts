/**
 * A refused upgrade (a 400 or 426 to a WebSocket handshake) carried through the core's takeover
 * seam (src/contract/session.ts `Upgrade`): `response` is the refusal, and the session `open`
 * returns only finishes the connection the way the core finishes its own refusals — half-close
 * once the answer is out, discard what the client still sends, close at its FIN or after a
 * bounded wait (RFC 9112 §9.6: closing at once could RST away the answer in flight).
 */
import type { Session } from "../contract/session.ts";
import type { Transport } from "../contract/socket.ts";

/** How long a refused connection waits for the peer's FIN after ours (the core's own linger bound). */
const LINGER_MS = 2000;

/** The refusal's bytes: status line, Date, framing and `Connection: close`, and `extraFields` (each ending in CRLF). */
export function refusalAnswer(status: 400 | 426, reason: string, extraFields: string, nowMs: number, isHead: boolean): Uint8Array {
  const body = `${reason}\n`;
  const text =
    `HTTP/1.1 ${status} ${status === 400 ? "Bad Request" : "Upgrade Required"}\r\nServer: hello-server\r\n` +
    // RFC 9110 §6.6.1: an origin server with a clock sends Date in every 4xx.
    `Date: ${new Date(nowMs).toUTCString()}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
    extraFields +
    "\r\n" +
    // RFC 9110 §9.3.2: the answer to HEAD has the same fields and no content.
    (isHead ? "" : body);
  const out = new Uint8Array(text.length);
  // ASCII only: the reasons are ours, the extra fields are ours or --served-by's (host/pid).
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** What a refused upgrade's socket runs after its answer: closing only. */
export class RefusedUpgrade implements Session {
  deadline: number;
  private closing = false;
  private released = false;

  /** The core calls `open` only with its output flushed (the Upgrade contract), so the half-close follows the answer. */
  constructor(
    private readonly transport: Transport,
    private readonly clock: { readonly now: number },
    /** The refusal's name (`WS_BAD_UPGRADE`, `WS_VERSION`), for the core's refusal count. */
    readonly refusedWith: string,
  ) {
    transport.shutdown();
    this.deadline = clock.now + LINGER_MS;
  }

  /** The client may still be sending (a body we never read, frames sent before reading our answer): dropped. */
  onData(_bytes: Uint8Array): void {}

  onDrain(): void {}

  onEnd(): void {
    this.close();
  }

  onTimeout(): void {
    // First the linger ran out: close. Then a transport that never reported its close: cut it.
    if (this.closing) return this.abort();
    this.close();
  }

  /** Already finishing: a drain changes nothing but may not wait longer than its grace. */
  onShutdown(graceMs: number): void {
    this.deadline = Math.min(this.deadline, this.clock.now + Math.max(0, graceMs));
  }

  abort(): void {
    if (this.released) return;
    this.transport.abort();
    this.onClosed();
  }

  onClosed(): void {
    this.released = true;
    this.closing = true;
    this.deadline = Infinity;
  }

  private close(): void {
    if (this.closing) return;
    this.closing = true;
    this.deadline = this.clock.now + LINGER_MS;
    this.transport.close();
  }
}
