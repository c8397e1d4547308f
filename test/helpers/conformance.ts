/**
 * Loads the conformance cases of test/conformance/*.txt (format in
 * test/conformance/README.md) and checks observed responses against them.
 * Shared by the in-process core suite and the real-server suite.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bodyText, header, parseResponses, type ParsedResponse } from "./http-parse.ts";

export const CONFORMANCE_DIR = join(import.meta.dir, "..", "conformance");

/** One expected response: any of `statuses`; `optional` may be absent; `noBody` = answer to HEAD. */
export interface ExpectedResponse {
  statuses: number[];
  optional: boolean;
  noBody: boolean;
}

export interface ConformanceCase {
  /** `file.txt:LINE` of the `===` header. */
  name: string;
  title: string;
  input: Uint8Array;
  responses: ExpectedResponse[];
  close: boolean;
}

const HEX = /^[0-9a-fA-F]{2}$/;

/** Decodes one input line's escapes into bytes (the line's own newline is not input). */
export function decodeEscapes(text: string, where: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "\\") {
      const code = c.charCodeAt(0);
      if (code > 0x7e) throw new Error(`${where}: non-ASCII character in input; write it as \\xHH`);
      out.push(code);
      continue;
    }
    const e = text[++i];
    if (e === "r") out.push(0x0d);
    else if (e === "n") out.push(0x0a);
    else if (e === "t") out.push(0x09);
    else if (e === "s") out.push(0x20);
    else if (e === "\\") out.push(0x5c);
    else if (e === "x" && HEX.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else throw new Error(`${where}: unknown escape \\${e ?? ""}`);
  }
  return out;
}

/** Expands `{{TEXT*N}}` repeats, then escapes. */
export function decodeInputLine(line: string, where: string): number[] {
  const out: number[] = [];
  let rest = line;
  for (;;) {
    const open = rest.indexOf("{{");
    if (open === -1) break;
    const close = rest.indexOf("}}", open);
    if (close === -1) throw new Error(`${where}: '{{' without '}}'`);
    out.push(...decodeEscapes(rest.slice(0, open), where));
    const inner = rest.slice(open + 2, close);
    const star = inner.lastIndexOf("*");
    const count = Number(inner.slice(star + 1));
    if (star === -1 || !Number.isInteger(count) || count < 0) throw new Error(`${where}: repeat must be {{TEXT*N}}`);
    const unit = decodeEscapes(inner.slice(0, star), where);
    for (let k = 0; k < count; k++) for (const b of unit) out.push(b);
    rest = rest.slice(close + 2);
  }
  out.push(...decodeEscapes(rest, where));
  return out;
}

function parseExpected(text: string, where: string): { responses: ExpectedResponse[]; close: boolean } {
  const tokens = text.trim().split(/\s+/);
  const last = tokens.pop();
  if (last !== "open" && last !== "close") throw new Error(`${where}: expected line must end with open or close`);
  const responses: ExpectedResponse[] = [];
  for (const token of tokens) {
    const m = /^(\d{3}(?:\|\d{3})*)(:head)?(\?)?(?:\*(\d+))?$/.exec(token);
    if (m === null) throw new Error(`${where}: bad expected token '${token}'`);
    const r: ExpectedResponse = { statuses: m[1]!.split("|").map(Number), noBody: m[2] !== undefined, optional: m[3] !== undefined };
    for (let k = 0; k < Number(m[4] ?? 1); k++) responses.push(r);
  }
  return { responses, close: last === "close" };
}

/** Parses one data file's text. `file` is used in names and errors. */
export function parseConformanceFile(file: string, text: string): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const lines = text.split("\n");
  let current: { title: string; line: number; bytes: number[] } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    const where = `${file}:${i + 1}`;
    if (line.startsWith("===")) {
      if (current !== null) throw new Error(`${where}: case at line ${current.line} has no '-->' line`);
      current = { title: line.slice(3).trim(), line: i + 1, bytes: [] };
    } else if (current === null) {
      if (line.trim() !== "" && !line.startsWith("#")) throw new Error(`${where}: text outside a case (start one with ===)`);
    } else if (line.startsWith("-->")) {
      const expected = parseExpected(line.slice(3), where);
      if (current.bytes.length === 0) throw new Error(`${where}: case has no input`);
      cases.push({ name: `${file}:${current.line}`, title: current.title, input: Uint8Array.from(current.bytes), ...expected });
      current = null;
    } else {
      for (const b of decodeInputLine(line, where)) current.bytes.push(b);
    }
  }
  if (current !== null) throw new Error(`${file}:${current.line}: case has no '-->' line`);
  return cases;
}

/** Every case of every data file, in file order. */
export function loadConformanceCases(dir: string = CONFORMANCE_DIR): ConformanceCase[] {
  const files = readdirSync(dir).filter((f) => f.endsWith(".txt")).sort();
  if (files.length === 0) throw new Error(`no conformance files in ${dir}`);
  return files.flatMap((f) => parseConformanceFile(f, readFileSync(join(dir, f), "utf8")));
}

/**
 * Matches observed statuses against the expected list (optional entries may
 * be skipped). Returns null on success, else a readable mismatch.
 */
export function matchStatuses(actual: readonly number[], expected: readonly ExpectedResponse[]): string | null {
  const plan = alignStatuses(actual, expected);
  if (plan !== null) return null;
  const want = expected.map((e) => e.statuses.join("|") + (e.optional ? "?" : "")).join(" ");
  return `statuses [${actual.join(" ")}], expected [${want}]`;
}

/**
 * For each observed status, the expected entry it matched (so a caller can
 * look up `noBody`), or null when they do not line up.
 */
export function alignStatuses(actual: readonly number[], expected: readonly ExpectedResponse[]): ExpectedResponse[] | null {
  const go = (a: number, e: number): ExpectedResponse[] | null => {
    if (e === expected.length) return a === actual.length ? [] : null;
    const want = expected[e]!;
    if (a < actual.length && want.statuses.includes(actual[a]!)) {
      const rest = go(a + 1, e + 1);
      if (rest !== null) return [want, ...rest];
    }
    return want.optional ? go(a, e + 1) : null;
  };
  return go(0, 0);
}

/** Whether the k-th response (counting every response) carries no body, given the case's expectations so far. */
export function noBodyPlan(expected: readonly ExpectedResponse[]): (statuses: readonly number[]) => boolean {
  // 1xx never has a body (RFC 9110 §15.2); otherwise it is the next non-optional/non-1xx expectation's flag.
  const finals = expected.filter((e) => !e.statuses.every((s) => s < 200));
  return (statuses) => {
    const status = statuses[statuses.length - 1]!;
    if (status < 200) return true;
    const ordinal = statuses.filter((s) => s >= 200).length - 1;
    return finals[ordinal]?.noBody ?? false;
  };
}

/**
 * Checks what a client received for a case: the statuses in order, no stray
 * bytes, the body of every full response, `Connection: close` on the last
 * response when (and only when) the connection closes, and the close itself.
 * Returns the problems found (empty = pass).
 */
export function checkOutcome(c: ConformanceCase, received: Uint8Array, closed: boolean, body = "hello"): string[] {
  const problems: string[] = [];
  let responses: ParsedResponse[];
  let used: number;
  try {
    ({ responses, used } = parseResponses(received, noBodyPlan(c.responses)));
  } catch (e) {
    return [`unparseable output: ${(e as Error).message}`];
  }
  if (used !== received.length) problems.push(`${received.length - used} bytes after the last complete response`);
  const statuses = responses.map((r) => r.status);
  const mismatch = matchStatuses(statuses, c.responses);
  if (mismatch !== null) problems.push(mismatch);
  for (const r of responses) {
    const connection = (header(r, "connection") ?? "").toLowerCase();
    const isLast = r === responses[responses.length - 1];
    if (connection === "close" && !(isLast && c.close)) problems.push(`response ${r.status} says Connection: close on a connection that stays open`);
    if (r.status >= 200 && r.status < 400 && r.body.length > 0 && bodyText(r) !== body) problems.push(`body ${JSON.stringify(bodyText(r))}`);
  }
  // RFC 9110 §9.3.2: HEAD gets the Content-Length a GET would get.
  const plan = alignStatuses(statuses, c.responses) ?? [];
  plan.forEach((want, i) => {
    const r = responses[i]!;
    if (want.noBody && r.status >= 200 && header(r, "content-length") !== String(new TextEncoder().encode(body).length)) {
      problems.push(`HEAD response has Content-Length ${header(r, "content-length")}`);
    }
  });
  const last = responses[responses.length - 1];
  // RFC 9112 §9.6: a server that is about to close says so in its last response.
  if (c.close && last !== undefined && (header(last, "connection") ?? "").toLowerCase() !== "close") {
    problems.push(`last response ${last.status} closes the connection without Connection: close`);
  }
  if (c.close && !closed) problems.push("connection left open, expected close");
  if (!c.close && closed) problems.push("connection closed, expected open");
  return problems;
}
