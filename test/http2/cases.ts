/**
 * Loads the HTTP/2 cases of test/http2/cases/*.txt (format in cases/README.md):
 * frames in, the server's frames and error codes out.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CLIENT_PREFACE, Flag, FrameType } from "../../src/http2/constants.ts";
import type { Http2Options } from "../../src/http2/types.ts";
import { block, concat, frame, GET, preface, settingsPayload, u32 } from "./helpers.ts";

export interface H2Case {
  name: string;
  title: string;
  input: Uint8Array;
  options: Partial<Http2Options>;
  /** Expected events (see helpers.ts `events`), then `open` or `closed`. */
  expected: string[];
}

export const CASES_DIR = join(import.meta.dir, "cases");

function parseFlags(text: string, where: string): number {
  if (text === "-") return 0;
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text, 16);
  let flags = 0;
  for (const name of text.split("|")) {
    const v = (Flag as Record<string, number>)[name];
    if (v === undefined) throw new Error(`${where}: unknown flag ${name}`);
    flags |= v;
  }
  return flags;
}

function parsePayload(tokens: string[], where: string): number[] {
  const out: number[] = [];
  for (const t of tokens) {
    const [kind, arg = ""] = t.split(/:(.*)/s);
    if (kind === "hex") for (let i = 0; i < arg.length; i += 2) out.push(parseInt(arg.slice(i, i + 2), 16));
    else if (kind === "zero") for (let i = 0; i < Number(arg); i++) out.push(0);
    else if (kind === "u32") out.push(...u32(Number(arg)));
    else if (kind === "u8") out.push(Number(arg) & 0xff);
    else if (kind === "settings") out.push(...settingsPayload(arg === "" ? [] : arg.split(",").map((kv) => kv.split("=").map(Number) as [number, number])));
    else if (kind === "get") out.push(...block(GET));
    else if (kind === "block") {
      const fields = arg.split(",").map((kv) => {
        const eq = kv.indexOf("=", 1);
        // %HH stands for an octet a case cannot write plainly (a line feed in a value).
        const unescape = (t: string) => t.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
        return [unescape(kv.slice(0, eq)), unescape(kv.slice(eq + 1))] as const;
      });
      out.push(...block(fields));
    } else if (kind === "ping") out.push(0, 1, 2, 3, 4, 5, 6, 7);
    else throw new Error(`${where}: unknown payload token ${t}`);
  }
  return out;
}

function parseInputLine(line: string, where: string): Uint8Array {
  const tokens = line.trim().split(/\s+/);
  const head = tokens[0]!;
  if (head === "PREFACE") return CLIENT_PREFACE;
  if (head === "BYTES") return Uint8Array.from(parsePayload(tokens.slice(1), where));
  const type = /^\d+$/.test(head) ? Number(head) : (FrameType as Record<string, number>)[head];
  if (type === undefined) throw new Error(`${where}: unknown frame type ${head}`);
  if (tokens.length < 3) throw new Error(`${where}: a frame line is TYPE STREAM FLAGS [payload…]`);
  return frame(type, parseFlags(tokens[2]!, where), Number(tokens[1]), parsePayload(tokens.slice(3), where));
}

export function parseCaseFile(file: string, text: string): H2Case[] {
  const cases: H2Case[] = [];
  let cur: { title: string; line: number; parts: Uint8Array[]; raw: boolean; options: Record<string, unknown> } | null = null;
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    const where = `${file}:${i + 1}`;
    if (line.startsWith("===")) {
      if (cur !== null) throw new Error(`${where}: case at line ${cur.line} has no '-->' line`);
      cur = { title: line.slice(3).trim(), line: i + 1, parts: [], raw: false, options: {} };
    } else if (cur === null) {
      if (line.trim() !== "" && !line.startsWith("#")) throw new Error(`${where}: text outside a case`);
    } else if (line.startsWith("@raw")) cur.raw = true;
    else if (line.startsWith("@opt ")) {
      for (const kv of line.slice(5).trim().split(/\s+/)) {
        const [k, v] = kv.split("=");
        cur.options[k!] = v === "true" ? true : v === "false" ? false : Number(v);
      }
    } else if (line.startsWith(">")) cur.parts.push(parseInputLine(line.slice(1), where));
    else if (line.startsWith("-->")) {
      const expected = line.slice(3).split(";").map((s) => s.trim()).filter((s) => s !== "");
      const last = expected[expected.length - 1];
      if (last !== "open" && last !== "closed") throw new Error(`${where}: expected line must end with open or closed`);
      const input = concat(cur.raw ? cur.parts : [preface(), ...cur.parts]);
      cases.push({ name: `${file}:${cur.line}`, title: cur.title, input, options: cur.options as Partial<Http2Options>, expected });
      cur = null;
    } else if (line.trim() !== "" && !line.startsWith("#")) throw new Error(`${where}: unexpected line`);
  });
  if (cur !== null) throw new Error(`${file}: last case has no '-->' line`);
  return cases;
}

export function loadCases(dir = CASES_DIR): H2Case[] {
  const files = readdirSync(dir).filter((f) => f.endsWith(".txt")).sort();
  return files.flatMap((f) => parseCaseFile(f, readFileSync(join(dir, f), "utf8")));
}
