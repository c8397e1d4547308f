/**
 * The differential fuzzer in `npm test`: 50,000 seeded inputs, each judged by
 * hello-server's core (one byte per read, whole, and split at random) and by
 * Node's llhttp in strict mode, in a `node` child process. Fails on any
 * framing disagreement, any answer that depends on how the bytes arrive, and
 * any difference whose class is not in allowed.txt. A failure prints the
 * seed, the input and both verdicts, and is saved, minimised, as a case in
 * test/conformance/differential-found.txt.
 *
 * Longer campaigns: bun test/differential/campaign.ts --seed N --count N
 */
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { minimiseAndSave } from "./minimise.ts";
import { loadAllowed, report, runDifferential } from "./run.ts";

const SEED = 0x8a11;
const COUNT = 50_000;
const node = spawnSync(process.env.NODE ?? "node", ["-p", "process.versions.llhttp"], { encoding: "utf8" });

test.skipIf(node.status !== 0)(`hello-server frames ${COUNT} fuzzed inputs as llhttp ${node.stdout?.trim()} does, or differs only as allowed.txt says`, async () => {
  const summary = await runDifferential({ seed: SEED, count: COUNT, allowed: loadAllowed() });
  expect(summary.count).toBe(COUNT);
  // The inputs must exercise both sides: mostly agreement, and refusals of many kinds.
  expect(summary.agree).toBeGreaterThan(COUNT * 0.5);
  expect(summary.allowed.size).toBeGreaterThan(10);
  if (summary.failures.length > 0) {
    const shown = summary.failures.slice(0, 10).map((f) => report(f, SEED));
    for (const f of summary.failures.slice(0, 3)) shown.push(`saved: ${await minimiseAndSave(f, SEED)}`);
    throw new Error(`${summary.failures.length} of ${COUNT} inputs failed:\n${shown.join("\n")}`);
  }
}, 120_000);

test("allowed.txt: every line names an outcome, a class, an RFC section and a reason", () => {
  const allowed = loadAllowed();
  expect(allowed.length).toBeGreaterThan(10);
  for (const a of allowed) expect(a.why.length).toBeGreaterThan(10);
});
