/**
 * One warning line per interval for a condition that can repeat many times
 * a second (accept4 failing with EMFILE under a connection flood): the first
 * occurrence is said at once, later ones within the interval are counted,
 * and the next line that is said carries that count.
 */
export class RateLimitedWarning {
  /** When the last line was said (the clock of the `now` arguments); -Infinity = never. */
  private saidAt = -Infinity;
  /** Occurrences since the last line that printed nothing. */
  private unsaid = 0;

  constructor(
    private readonly everyMs: number,
    private readonly emit: (line: string) => void,
  ) {}

  /** Says `message` (plus how many were held back since the last line), or counts it. */
  warn(now: number, message: string): void {
    if (now - this.saidAt < this.everyMs) {
      this.unsaid++;
      return;
    }
    const held = this.unsaid;
    const since = held === 0 ? "" : ` (${held} more since the last such line, ${Math.round((now - this.saidAt) / 1000)} s ago)`;
    this.saidAt = now;
    this.unsaid = 0;
    this.emit(`${message}${since}`);
  }
}
