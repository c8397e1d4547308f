/**
 * Durations and sizes as people write them (`250ms`, `1.5s`, `2m`; `512`, `16k`, `1M`), for flags
 * and for per-request control values alike. Pure; null means "not a value of this kind".
 */

// Go's time.ParseDuration units that make sense for a test backend; a bare number is seconds,
// as every other duration flag of this server is.
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const DURATION_MS = { ms: 1, s: 1000, m: 60_000 } as const;

/** Milliseconds, or null when `raw` is not a duration. */
export function parseDuration(raw: string): number | null {
  const m = DURATION.exec(raw);
  if (m === null) return null;
  const ms = Number(m[1]) * DURATION_MS[(m[2] ?? "s") as keyof typeof DURATION_MS];
  return Number.isFinite(ms) ? ms : null;
}

// k and M are binary multiples (1k = 1024), as curl's --limit-rate and go-httpbin's sizes read them.
const SIZE = /^(\d+)([kKmM])?$/;
const SIZE_FACTOR = { k: 1024, m: 1024 * 1024 } as const;

/** Bytes, or null when `raw` is not a size. */
export function parseSize(raw: string): number | null {
  const m = SIZE.exec(raw);
  if (m === null || m[1]!.length > 15) return null;
  const unit = m[2]?.toLowerCase() as keyof typeof SIZE_FACTOR | undefined;
  return Number(m[1]) * (unit === undefined ? 1 : SIZE_FACTOR[unit]);
}

/** A probability 0..1 (`0.05`, `1`, `0`), or null. */
export function parseProbability(raw: string): number | null {
  if (!/^(0|1)(\.\d+)?$/.test(raw)) return null;
  const p = Number(raw);
  return p >= 0 && p <= 1 ? p : null;
}
