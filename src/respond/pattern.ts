/**
 * The bytes of `size=N` bodies: one buffer of a repeating printable pattern, grown (never past
 * --max-size) to the largest size asked for so far, and sliced per answer, so a body costs no
 * allocation and no copy (the core writes a large slice as it is and queues what the socket does
 * not take, pausing the reads of a client that does not read: Limits.PENDING_OUTPUT).
 */

/** Printable, so `curl ?size=100` shows something readable; 64 bytes then a newline. */
const LINE = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_\n";
/** The smallest buffer made: most sizes asked for are small, and growing costs one copy at most. */
const MIN_BYTES = 64 * 1024;

export class Pattern {
  private bytes = new Uint8Array(0);

  constructor(private readonly maxBytes: number) {}

  /** `n` bytes of the pattern (n ≤ --max-size): a view of the shared buffer, never written afterwards. */
  slice(n: number): Uint8Array {
    if (n > this.bytes.length) this.grow(n);
    return this.bytes.subarray(0, n);
  }

  private grow(n: number): void {
    let size = Math.max(MIN_BYTES, this.bytes.length);
    while (size < n) size *= 2;
    size = Math.min(size, Math.max(n, this.maxBytes));
    // A new buffer, not a resized one: slices already handed to a transport may still be in flight.
    const next = new Uint8Array(size);
    const line = new TextEncoder().encode(LINE);
    next.set(line.subarray(0, Math.min(line.length, size)));
    for (let filled = line.length; filled < size; filled *= 2) next.copyWithin(filled, 0, Math.min(filled, size - filled));
    this.bytes = next;
  }
}
