/**
 * Shrinks a failing input while it still fails the same way (delta
 * debugging: drop halves, quarters, ... single bytes), then appends it as a
 * conformance case. The case's expectation is llhttp's reading of the bytes
 * (its requests answered 200, then 400 and close where it refused): a
 * reviewer checks it, and the core is fixed until the case passes.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { CONFORMANCE_DIR } from "../helpers/conformance.ts";
import { compare, Outcome } from "./classify.ts";
import { helloVerdict } from "./hello.ts";
import { LlhttpOracle } from "./oracle.ts";
import { escapeBytes, type Finding } from "./run.ts";
import { End } from "./verdict.ts";

export const FOUND_FILE = join(CONFORMANCE_DIR, "differential-found.txt");

export async function minimiseAndSave(f: Finding, seed: number, file = FOUND_FILE): Promise<string> {
  const oracle = new LlhttpOracle();
  const key = (bytes: Uint8Array, llhttp: Awaited<ReturnType<LlhttpOracle["verdicts"]>>[number]): string => {
    const d = compare(bytes, helloVerdict(bytes), llhttp);
    // A framing disagreement stays one whatever its details; other classes must stay the same class.
    return d.outcome === Outcome.FRAMING ? d.outcome : `${d.outcome} ${d.cls}`;
  };
  const target = key(f.input.bytes, f.llhttp);
  let best = f.input.bytes;
  try {
    for (let chunk = Math.max(1, best.length >> 1); chunk >= 1; chunk >>= 1) {
      for (let at = 0; at + chunk <= best.length; ) {
        const candidate = new Uint8Array(best.length - chunk);
        candidate.set(best.subarray(0, at));
        candidate.set(best.subarray(at + chunk), at);
        const [llhttp] = await oracle.verdicts([candidate]);
        if (candidate.length > 0 && key(candidate, llhttp!) === target) best = candidate;
        else at += chunk;
      }
    }
    const [llhttp] = await oracle.verdicts([best]);
    const expected = [...llhttp!.m.map(() => "200"), ...(llhttp!.end === End.REFUSED ? ["400"] : [])].join(" ");
    const ends = llhttp!.end === End.REFUSED || llhttp!.end === End.CLOSED ? "close" : "open";
    appendFileSync(
      file,
      `\n# found by test/differential, seed ${seed} input #${f.input.index}: ${f.diff.outcome}: ${f.diff.cls}\n# expectation from llhttp (${llhttp!.code ?? llhttp!.end}): review before committing\n=== differential seed ${seed} #${f.input.index}\n${escapeBytes(best)}\n--> ${expected} ${ends}\n`,
    );
  } finally {
    await oracle.close();
  }
  return `${file} (${best.length} bytes)`;
}
