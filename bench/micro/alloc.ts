/**
 * Does a hot function allocate? mitata's heap column is sampled around
 * whole batches and is noisy, so this probe counts directly: after the
 * function is warm (JIT-compiled), run it N times between two readings of
 * the runtime's heap counter and divide. The counter's own cost is taken
 * out by probing an empty function; a control that allocates one small
 * object per call proves the counter can see allocation on this runtime.
 *
 * Counters: V8 (node, deno) used_heap_size + malloced_memory, as mitata
 * reads it; JSC (bun) heapStats().heapCapacity, because heapSize only
 * moves at a collection.
 */
// Small enough that one trial of a 32-byte-per-call function (320 KB) fits in V8's
// smallest young generation (1 MB semi-space): with 100k calls a scavenge fell
// inside every trial and hid the control's allocation (measured, node 20).
const N = 10_000;
const TRIALS = 9;
const WARMUP = 10 * N;
/**
 * Below this a case counts as not allocating: the smallest heap object is
 * 16 B (a V8 HeapNumber as measured here; a JSC cell), and JSC's counter
 * moves in 16 KB blocks, i.e. 1.6 B per call at N calls.
 */
const NO_ALLOC_BELOW = 4;

type Counter = () => number;

async function heapCounter(): Promise<Counter | null> {
  if ("Bun" in globalThis) {
    const jsc = await import("bun:jsc");
    return () => jsc.heapStats().heapCapacity;
  }
  try {
    const v8 = await import("node:v8");
    return () => {
      const s = v8.getHeapStatistics();
      return s.used_heap_size + s.malloced_memory;
    };
  } catch {
    return null;
  }
}

function collect(): void {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

/** Median bytes per call over TRIALS runs of N calls: a collection inside one trial only lowers that trial. */
function bytesPerCall(counter: Counter, fn: () => unknown): number {
  // Long enough for the optimising compiler to finish: its code objects land on the same heap.
  for (let i = 0; i < WARMUP; i++) fn();
  const perCall: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    collect();
    const before = counter();
    for (let i = 0; i < N; i++) fn();
    perCall.push((counter() - before) / N);
  }
  perCall.sort((a, b) => a - b);
  return perCall[TRIALS >> 1]!;
}

let sink: unknown;
const empty = (): unknown => undefined;
const control = (): unknown => (sink = { control: 1 });

export interface AllocRow {
  name: string;
  bytesPerCall: number;
}

/**
 * Bytes allocated per call of each function, net of the empty-function
 * baseline; null when this runtime exposes no usable heap counter (or the
 * control shows none, so a zero would prove nothing).
 */
export async function probeAllocations(cases: ReadonlyArray<readonly [string, () => unknown]>): Promise<AllocRow[] | null> {
  const counter = await heapCounter();
  if (counter === null) return null;
  const raw: Array<[string, number]> = [["control: one { control: 1 } per call", bytesPerCall(counter, control)]];
  for (const [name, fn] of cases) raw.push([name, bytesPerCall(counter, fn)]);
  // Measured last: the first probe of a process also pays for warming the counter itself (~2 B/call on V8).
  const floor = bytesPerCall(counter, empty);
  const rows = raw.map(([name, b]) => ({ name, bytesPerCall: b - floor }));
  if (rows[0]!.bytesPerCall < 8) return null; // the counter is blind here: a zero below would prove nothing
  return rows;
}

export function formatAllocations(rows: AllocRow[] | null): string {
  if (rows === null) return "allocation probe: no usable heap counter on this runtime\n";
  const width = Math.max(...rows.map((r) => r.name.length));
  let out = `allocation probe (median of ${TRIALS} x ${N} calls, bytes per call above an empty function; < ${NO_ALLOC_BELOW} B = no allocation):\n`;
  for (const r of rows) {
    const verdict = r.bytesPerCall < NO_ALLOC_BELOW ? "no allocation" : "ALLOCATES";
    out += `  ${r.name.padEnd(width)}  ${r.bytesPerCall.toFixed(2).padStart(8)} B  ${verdict}\n`;
  }
  return out;
}
