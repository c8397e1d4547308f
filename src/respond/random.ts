/**
 * The random choices of fault injection (--fail-rate, --reset-rate, --delay MIN..MAX): a small
 * seeded generator, so that `--seed N` replays the same choices. Math.random cannot be seeded.
 *
 * Seeds across workers: worker i (0-based, its slot in the supervisor, kept by a replacement)
 * uses seed + i (mod 2^32), so workers do not all fail the same requests in lockstep, and a
 * run with --workers N --seed S is the union of N reproducible sequences. A replaced worker
 * starts its slot's sequence over. Without --seed each worker seeds itself from the clock.
 */

/** Uniform floats in [0, 1). */
export type Random = () => number;

/**
 * mulberry32 (Tommy Ettinger, public domain): 32 bits of state, one multiply-xorshift round per
 * number, passes gjrand's tests at the sizes used here; plenty for fault rates, and a few ns a draw.
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed worker `index` uses: `seed + index` (mod 2^32), or one from the clock without --seed. */
export function workerSeed(seed: number | null, index: number): number {
  if (seed === null) return (Date.now() ^ (Math.random() * 4294967296)) >>> 0;
  return (seed + index) >>> 0;
}
