/**
 * A differential campaign from the command line:
 *
 *   bun test/differential/campaign.ts [--seed N] [--count N] [--save]
 *
 * Prints every allowed class with its count and an example, then every
 * failure (seed, input escaped, both verdicts); exits 1 on any failure.
 * --save writes each failure, minimised, as a new case in
 * test/conformance/differential-found.txt (expectation from llhttp: review it).
 */
import { minimiseAndSave } from "./minimise.ts";
import { report, runDifferential } from "./run.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i === -1) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    console.error(`campaign: ${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
}

const seed = arg("--seed", 1);
const count = arg("--count", 50_000);
let last = 0;
const summary = await runDifferential({
  seed,
  count,
  progress: (done) => {
    if (done - last >= 100_000 || done === count) {
      last = done;
      console.error(`campaign: ${done}/${count}`);
    }
  },
});
console.log(`seed ${seed}: ${summary.count} inputs in ${(summary.ms / 1000).toFixed(1)} s; ${summary.agree} agree (${summary.refusedOnceComplete} of them refused by hello-server once the head is complete, by llhttp while it arrives), ${summary.failures.length} failures`);
for (const [cls, { count: n, example }] of [...summary.allowed].sort((a, b) => b[1].count - a[1].count)) {
  console.log(`  allowed ${n.toString().padStart(7)}  ${cls}\n           e.g. #${example.input.index}`);
}
const byClass = new Map<string, number>();
for (const f of summary.failures) {
  const k = `${f.diff.outcome} ${f.diff.outcome === "framing" ? f.diff.cls.replace(/\d+/g, "N") : f.diff.cls}`;
  byClass.set(k, (byClass.get(k) ?? 0) + 1);
}
for (const [k, n] of [...byClass].sort((a, b) => b[1] - a[1])) console.log(`  FAIL ${n.toString().padStart(7)}  ${k}`);
const shown = summary.failures.slice(0, Number(process.env.SHOW ?? 20));
for (const f of shown) console.log(report(f, seed));
if (summary.failures.length > shown.length) console.log(`… and ${summary.failures.length - shown.length} more failures`);
if (process.argv.includes("--save")) for (const f of summary.failures.slice(0, 10)) console.log(`saved ${await minimiseAndSave(f, seed)}`);
process.exit(summary.failures.length > 0 ? 1 : 0);
