/**
 * WebSocket frame cases as data (format in cases/README.md): client frames in, server frames and
 * the close out. Shared by the in-process runner (frames.test.ts) and, later, the real server's.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeInputLine } from "../helpers/conformance.ts";

export const CASES_DIR = join(import.meta.dir, "cases");

export interface FrameCase {
  /** `file.txt:LINE` of the `===` header. */
  name: string;
  title: string;
  /** Bytes the client sends. */
  input: Uint8Array;
  /** Bytes the server must send back, exactly. */
  output: Uint8Array;
  /** The server closes (its last frame is a close) rather than staying open. */
  closes: boolean;
  maxMessage: number;
}

const OPCODES: Record<string, number> = { cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

/** RFC 6455 §5.7's example mask. */
const DEFAULT_MASK = [0x37, 0xfa, 0x21, 0x3d];

export interface ClientFrame {
  opcode: number;
  payload: Uint8Array | number[];
  fin?: boolean;
  rsv?: number;
  mask?: number[] | null;
  /** Force the 16- or 64-bit length form (non-minimal encodings are legal, RFC 6455 §5.2). */
  lengthForm?: 7 | 16 | 64;
  /** A declared length other than the payload's (a header promising more than is sent). */
  declared?: number;
}

/** A client frame's bytes (masked unless `mask` is null). */
export function clientFrame(f: ClientFrame): number[] {
  const payload = Array.from(f.payload);
  const length = f.declared ?? payload.length;
  const mask = f.mask === undefined ? DEFAULT_MASK : f.mask;
  const out = [((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) << 4) | f.opcode];
  const form = f.lengthForm ?? (length < 126 ? 7 : length < 0x10000 ? 16 : 64);
  const m = mask === null ? 0 : 0x80;
  if (form === 7) out.push(m | length);
  else if (form === 16) out.push(m | 126, (length >>> 8) & 0xff, length & 0xff);
  else {
    out.push(m | 127);
    const hi = Math.floor(length / 2 ** 32);
    out.push((hi >>> 24) & 0xff, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff);
    out.push((length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
  }
  if (mask !== null) out.push(...mask);
  payload.forEach((b, i) => out.push(mask === null ? b : b ^ mask[i & 3]!));
  return out;
}

/** A server frame's bytes: FIN, unmasked, shortest length (what the session must send). */
export function serverFrame(opcode: number, payload: number[]): number[] {
  const n = payload.length;
  const out = [0x80 | opcode];
  if (n < 126) out.push(n);
  else if (n < 0x10000) out.push(126, n >>> 8, n & 0xff);
  else out.push(127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  return out.concat(payload);
}

function closeBody(code: number | null, rest: number[]): number[] {
  return code === null ? rest : [code >>> 8, code & 0xff, ...rest];
}

function parseFrameLine(text: string, where: string, client: boolean): number[] {
  const bar = text.indexOf(" | ");
  const head = (bar === -1 ? text : text.slice(0, bar)).trim().split(/\s+/);
  const body = bar === -1 ? [] : decodeInputLine(text.slice(bar + 3), where);
  const word = head.shift()!;
  if (word === "raw") {
    if (!client) throw new Error(`${where}: raw is for client bytes`);
    return body;
  }
  const opcode = word.startsWith("op=") ? Number(word.slice(3)) : OPCODES[word];
  if (opcode === undefined || !Number.isInteger(opcode)) throw new Error(`${where}: unknown frame kind '${word}'`);
  const f: ClientFrame = { opcode, payload: body };
  let code: number | null = null;
  for (const t of head) {
    if (/^\d+$/.test(t)) code = Number(t);
    else if (!client) throw new Error(`${where}: '${t}' is for client frames`);
    else if (t === "more") f.fin = false;
    else if (/^rsv[123]$/.test(t)) f.rsv = (f.rsv ?? 0) | (1 << (3 - Number(t[3])));
    else if (t === "nomask") f.mask = null;
    else if (t === "len16") f.lengthForm = 16;
    else if (t === "len64") f.lengthForm = 64;
    else if (t.startsWith("declare=")) f.declared = Number(t.slice(8));
    else if (t.startsWith("mask=")) f.mask = (t.slice(5).match(/../g) ?? []).map((h) => parseInt(h, 16));
    else throw new Error(`${where}: unknown flag '${t}'`);
  }
  if (code !== null || opcode === 8) f.payload = closeBody(code, Array.from(body));
  return client ? clientFrame(f) : serverFrame(opcode, Array.from(f.payload));
}

/** Parses one data file. */
export function parseFrameCases(file: string, text: string): FrameCase[] {
  const cases: FrameCase[] = [];
  let cur: { title: string; line: number; input: number[]; output: number[]; closes: boolean; maxMessage: number } | null = null;
  const finish = () => {
    if (cur === null) return;
    if (cur.input.length === 0) throw new Error(`${file}:${cur.line}: case has no input`);
    cases.push({ name: `${file}:${cur.line}`, title: cur.title, input: Uint8Array.from(cur.input), output: Uint8Array.from(cur.output), closes: cur.closes, maxMessage: cur.maxMessage });
    cur = null;
  };
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    const where = `${file}:${i + 1}`;
    if (line.startsWith("===")) {
      finish();
      cur = { title: line.slice(3).trim(), line: i + 1, input: [], output: [], closes: false, maxMessage: 1 << 20 };
    } else if (line.trim() === "" || line.startsWith("#")) return;
    else if (cur === null) throw new Error(`${where}: text outside a case`);
    else if (line.startsWith("@ maxMessage=")) cur.maxMessage = Number(line.slice(13));
    else if (line.startsWith("> ")) cur.input.push(...parseFrameLine(line.slice(2), where, true));
    else if (line.startsWith("< ")) {
      if (cur.closes) throw new Error(`${where}: nothing follows the server's close`);
      cur.output.push(...parseFrameLine(line.slice(2), where, false));
      cur.closes = line.slice(2).trim().startsWith("close");
    } else throw new Error(`${where}: a line starts with ===, @, > or <`);
  });
  finish();
  return cases;
}

export function loadFrameCases(dir = CASES_DIR): FrameCase[] {
  const files = readdirSync(dir).filter((f) => f.endsWith(".txt")).sort();
  return files.flatMap((f) => parseFrameCases(f, readFileSync(join(dir, f), "utf8")));
}
