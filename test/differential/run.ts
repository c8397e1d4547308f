/**
 * One differential run: `count` inputs from `seed`, each judged by
 * hello-server's core (byte by byte, whole, and in random splits) and by
 * llhttp, compared, and sorted into agreements, allowed classes, and
 * failures (framing disagreements, unlisted classes, split-dependent answers).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compare, Outcome, type Difference, type OutcomeKind } from "./classify.ts";
import { Generator, type FuzzInput } from "./generate.ts";
import { helloAnswers, helloVerdict } from "./hello.ts";
import { LlhttpOracle } from "./oracle.ts";
import { describe, End, type Verdict } from "./verdict.ts";

export interface AllowedClass {
  outcome: OutcomeKind;
  pattern: RegExp;
  /** The text as written, the RFC section that permits it, and why. */
  text: string;
  rfc: string;
  why: string;
  line: number;
}

export interface Finding {
  input: FuzzInput;
  hello: Verdict;
  llhttp: Verdict;
  diff: Difference;
  /** For split findings: the answers whole and split. */
  detail?: string;
}

export interface Summary {
  seed: number;
  count: number;
  agree: number;
  /** Of `agree`: inputs llhttp refuses while the head arrives and hello-server once it is complete. */
  refusedOnceComplete: number;
  /** Allowed differences: class text → count. */
  allowed: Map<string, { outcome: OutcomeKind; count: number; example: Finding }>;
  /** Failures: framing disagreements, unlisted classes, answers that depend on the split. */
  failures: Finding[];
  ms: number;
}

const STILL_ARRIVING = / \(still arriving\)$/;

export const ALLOWED_FILE = join(import.meta.dir, "allowed.txt");

/** allowed.txt: `lenient|strict | class (with * wildcards) | RFC section | why`, one per line, # comments. */
export function loadAllowed(file = ALLOWED_FILE): AllowedClass[] {
  const out: AllowedClass[] = [];
  readFileSync(file, "utf8").split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const cols = line.split(" | ").map((c) => c.trim());
    if (cols.length !== 4 || (cols[0] !== Outcome.LENIENT && cols[0] !== Outcome.STRICT) || !/RFC \d+/.test(cols[2]!)) {
      throw new Error(`${file}:${i + 1}: expected 'lenient|strict | class | RFC NNNN §x | why'`);
    }
    const pattern = new RegExp(`^${cols[1]!.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    out.push({ outcome: cols[0] as OutcomeKind, pattern, text: cols[1]!, rfc: cols[2]!, why: cols[3]!, line: i + 1 });
  });
  return out;
}

/**
 * The answers, with every refusal written as "refused": which error a malformed head gets
 * may depend on how it arrives (a bare CR seen while the head is incomplete is refused
 * before the method is looked at), but whether it is refused, and after how many requests, may not.
 */
function refusedAs(answers: string): string {
  return answers.split(" ").filter((s) => s !== "100" && s !== "").map((s) => (/^[45]\d\d$/.test(s) ? "refused" : s)).join(" ");
}

function statusesOf(v: Verdict): string {
  const statuses = v.m.map(() => "200");
  if (v.end === End.REFUSED) statuses.push("refused");
  return [...statuses, v.end === End.REFUSED || v.end === End.CLOSED ? "ended" : "open"].join(" ");
}


export async function runDifferential(opts: { seed: number; count: number; allowed?: AllowedClass[]; batch?: number; progress?: (done: number) => void }): Promise<Summary> {
  const allowed = opts.allowed ?? loadAllowed();
  const gen = new Generator(opts.seed);
  const oracle = new LlhttpOracle();
  const batch = opts.batch ?? 2000;
  const summary: Summary = { seed: opts.seed, count: 0, agree: 0, refusedOnceComplete: 0, allowed: new Map(), failures: [], ms: 0 };
  const t0 = performance.now();
  try {
    for (let from = 0; from < opts.count; from += batch) {
      const inputs: FuzzInput[] = [];
      for (let i = from; i < Math.min(opts.count, from + batch); i++) inputs.push(gen.input(i));
      // llhttp works in its own process while this one runs the core.
      const pending = oracle.verdicts(inputs.map((x) => x.bytes));
      const hellos = inputs.map((x) => helloVerdict(x.bytes));
      const splits = inputs.map((x) => {
        const whole = refusedAs(helloAnswers(x.bytes, []));
        const split = refusedAs(helloAnswers(x.bytes, gen.cuts(x.bytes.length)));
        return { whole, split };
      });
      const llhttps = await pending;
      inputs.forEach((input, k) => {
        const hello = hellos[k]!;
        const llhttp = llhttps[k]!;
        const { whole, split } = splits[k]!;
        const byteWise = statusesOf(hello);
        if (whole !== byteWise || split !== byteWise) {
          summary.failures.push({ input, hello, llhttp, diff: { outcome: Outcome.FRAMING, cls: "answers depend on how the bytes arrive" }, detail: `one byte per read: ${byteWise}; whole: ${whole}; split: ${split}` });
          return;
        }
        let diff = compare(input.bytes, hello, llhttp);
        // llhttp refuses a bad byte of a head still arriving; hello-server judges a head when it
        // is complete (or times out). Not a leniency if completing the head gets it refused.
        if (diff.outcome === Outcome.LENIENT && hello.end === End.INCOMPLETE && hello.head === undefined && refusedOnceComplete(input.bytes, hello)) {
          summary.refusedOnceComplete++;
          diff = { outcome: Outcome.AGREE, cls: "" };
        }
        if (diff.outcome === Outcome.AGREE) {
          summary.agree++;
          return;
        }
        const finding = { input, hello, llhttp, diff };
        // A leniency is the same class whether or not the request has finished arriving.
        const cls = diff.cls.replace(STILL_ARRIVING, "");
        const rule = diff.outcome === Outcome.FRAMING ? undefined : allowed.find((a) => a.outcome === diff.outcome && a.pattern.test(cls));
        if (rule === undefined) {
          summary.failures.push(finding);
          return;
        }
        const key = `${diff.outcome} ${diff.cls}`;
        const seen = summary.allowed.get(key);
        if (seen) seen.count++;
        else summary.allowed.set(key, { outcome: diff.outcome, count: 1, example: finding });
      });
      summary.count += inputs.length;
      opts.progress?.(summary.count);
    }
  } finally {
    await oracle.close();
  }
  summary.ms = performance.now() - t0;
  return summary;
}

const END_OF_HEAD = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a);

/** Whether hello-server refuses the unfinished head of `input` once it is ended with CRLF CRLF. */
function refusedOnceComplete(input: Uint8Array, hello: Verdict): boolean {
  const completed = new Uint8Array(input.length + END_OF_HEAD.length);
  completed.set(input);
  completed.set(END_OF_HEAD, input.length);
  const v = helloVerdict(completed);
  return v.end === End.REFUSED && v.m.length === hello.m.length;
}

/** An input as the conformance files write bytes. */
export function escapeBytes(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) {
    if (b === 0x0d) s += "\\r";
    else if (b === 0x0a) s += "\\n";
    else if (b === 0x09) s += "\\t";
    else if (b === 0x5c) s += "\\\\";
    else if (b < 0x20 || b >= 0x7f) s += `\\x${b.toString(16).padStart(2, "0")}`;
    else s += String.fromCharCode(b);
  }
  return s;
}

export function report(f: Finding, seed: number): string {
  return [
    `${f.diff.outcome}: ${f.diff.cls}`,
    `  seed ${seed}, input #${f.input.index} (${f.input.how.join("; ")})`,
    `  input: ${escapeBytes(f.input.bytes)}`,
    `  hello-server: ${describe(f.hello)}`,
    `  llhttp:       ${describe(f.llhttp)}`,
    ...(f.detail ? [`  ${f.detail}`] : []),
  ].join("\n");
}
