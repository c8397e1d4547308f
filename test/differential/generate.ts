/**
 * Inputs of the differential fuzzer, seeded and reproducible: generated valid
 * requests (every method, target form, version, framing) and the conformance
 * cases, in pipelines of 1-4, then mutated where parsers are known to
 * disagree (HTTP Garden, llhttp's suite): CR/LF/SP/HTAB/NUL placement, chunk
 * lines, repeated and listed Content-Length / Transfer-Encoding, header
 * fields duplicated, folded, split and re-cased.
 */
import { loadConformanceCases } from "../helpers/conformance.ts";
import { rng } from "../helpers/rng.ts";

export interface FuzzInput {
  /** Position in the run (the n-th input of `seed`). */
  index: number;
  bytes: Uint8Array;
  /** The generator and mutations that made it, for the failure report. */
  how: string[];
}

type Field = [string, string];
interface Request {
  line: string;
  fields: Field[];
  /** The body bytes as sent (chunk framing included). */
  body: string;
}

const METHODS = ["GET", "GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"];
const TARGETS = ["/", "/", "/a/b?c=d&e", "/%41%20", "http://h/x", "https://h:8443/p?q", "/;a=b", "//x"];
const EXTRA: Field[] = [["Accept", "*/*"], ["User-Agent", "fz/1"], ["X-A", "1"], ["Cookie", "a=b; c=d"], ["X-Empty", ""], ["Accept-Encoding", "gzip, br"]];
/** Content-Length values that parsers have read differently. */
const CL_VALUES = ["0", "5", "05", "+5", "-5", "5 ", "5,5", "5, 5", "5,6", ",5", "5,", "", "0x5", "5.0", "1e1", "\t5", "5\t", "99999999999999999999", "18446744073709551616", "18446744073709551621", "9007199254740993", "9223372036854775807", "9223372036854775808", "1000,1000", "00000000000000000000005"];
/** Transfer-Encoding values likewise. */
const TE_VALUES = ["chunked", "Chunked", "CHUNKED", "chunked ", "chunked,", ",chunked", "chunked, chunked", "gzip, chunked", "chunked, gzip", "identity", "", " ", "x", "chunked;q=1", "\"chunked\"", "chunk", "chunkedx", "\tchunked", "gzip,chunked", "chunked , identity"];
/** Chunk sizes around the edges: 2^53, 2^63, 2^64, leading zeros, signs, hex cases. */
const CHUNK_SIZES = ["5", "05", "0005", "00000000000000000000005", "20000000000000", "1fffffffffffff", "7fffffffffffffff", "8000000000000000", "ffffffffffffffff", "FFFFFFFFFFFFFFFF0", "10000000000000000", "10000000000000005", "+5", "-5", "0x5", "5 ", " 5", "5\t", "A", "a"];
const CHUNK_EXTS = ["", "", "", ";a", ";a=b", ";a=\"b c\"", " ;a", "; a", ";a = b", ";a=\"b\\\"c\"", ";", ";=b", ";a=", ";a=\"b", " ", " x", ";a;b=c", "\t;a"];
/** Bytes inserted or substituted by byte-level mutations. */
const SPECIAL = ["\r", "\n", " ", "\t", "\0", ";", "\"", ",", ":", "0", "a", "f", "F", "+", "-", "x", "\x0b", "\x0c", "\x7f", "\x80", "\xff", "\r\n", "\r\n\r\n", " \r\n"];

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

export class Generator {
  private readonly next: () => number;
  private readonly cases: Uint8Array[];

  constructor(readonly seed: number) {
    this.next = rng(seed);
    this.cases = loadConformanceCases().map((c) => c.input).filter((b) => b.length < 4096);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  private int(n: number): number {
    return Math.floor(this.next() * n);
  }
  private chance(p: number): boolean {
    return this.next() < p;
  }

  /** The `index`-th input: valid requests or conformance cases, pipelined, mutated 0-3 times. */
  input(index: number): FuzzInput {
    const how: string[] = [];
    const parts: Uint8Array[] = [];
    const count = 1 + (this.chance(0.5) ? 0 : this.int(4));
    for (let i = 0; i < count; i++) {
      if (this.chance(0.2)) {
        parts.push(this.pick(this.cases));
        how.push("case");
      } else {
        const req = this.request(how);
        if (this.chance(0.5)) this.mutateFields(req, how);
        parts.push(latin1(serialize(req)));
      }
    }
    // Not Buffer.concat: a Buffer's slice() is a view, and the core's test transport zeroes its input copy.
    let bytes: Uint8Array = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
    const mutations = this.chance(0.25) ? 0 : 1 + this.int(3);
    for (let k = 0; k < mutations; k++) bytes = this.mutateBytes(bytes, how);
    return { index, bytes, how };
  }

  /** A valid request, with a randomly chosen (and honest) framing. */
  private request(how: string[]): Request {
    const method = this.pick(METHODS);
    const target = method === "OPTIONS" && this.chance(0.3) ? "*" : this.pick(TARGETS);
    const v10 = this.chance(0.15);
    const fields: Field[] = [];
    if (!v10 || this.chance(0.5)) fields.push(["Host", this.pick(["h", "h:80", "[::1]:8", "a.b"])]);
    for (let i = this.int(3); i > 0; i--) fields.push(this.pick(EXTRA));
    if (this.chance(0.3)) fields.push(["Connection", this.pick(["keep-alive", "close", "Keep-Alive", "upgrade", "close, keep-alive", "x"])]);
    if (this.chance(0.05)) fields.push(["Upgrade", "websocket"]);
    if (this.chance(0.1)) fields.push(["Expect", "100-continue"]);
    let body = "";
    const framing = this.int(10);
    if (framing < 3) {
      how.push("plain");
    } else if (framing < 6) {
      const data = "x".repeat(this.int(12));
      const value = this.chance(0.7) ? String(data.length) : this.pick(CL_VALUES);
      fields.push(["Content-Length", value]);
      body = data;
      how.push(`CL ${JSON.stringify(value)}`);
    } else {
      const te = this.chance(0.7) ? "chunked" : this.pick(TE_VALUES);
      fields.push(["Transfer-Encoding", te]);
      body = this.chunks();
      how.push(`TE ${JSON.stringify(te)}`);
      // Both framings in one head: every combination the issue asks for.
      if (this.chance(0.3)) {
        const cl = this.chance(0.5) ? String(body.length) : this.pick(CL_VALUES);
        fields.splice(this.int(fields.length + 1), 0, ["Content-Length", cl]);
        how.push(`+CL ${JSON.stringify(cl)}`);
      }
    }
    if (this.chance(0.1)) {
      // Repeats: the same framing field twice, equal or not.
      const framingField = fields.find(([n]) => n === "Content-Length" || n === "Transfer-Encoding");
      if (framingField !== undefined) {
        const again: Field = [framingField[0], this.chance(0.5) ? framingField[1] : framingField[0] === "Content-Length" ? this.pick(CL_VALUES) : this.pick(TE_VALUES)];
        fields.push(again);
        how.push(`repeat ${again[0]} ${JSON.stringify(again[1])}`);
      }
    }
    return { line: `${method} ${target} HTTP/1.${v10 ? 0 : 1}`, fields, body };
  }

  /** A chunked body: 0-3 data chunks, extensions, an optional trailer section. */
  private chunks(): string {
    let out = "";
    for (let i = this.int(4); i > 0; i--) {
      const n = 1 + this.int(10);
      const size = this.chance(0.85) ? n.toString(16) : this.pick(CHUNK_SIZES);
      out += `${size}${this.chance(0.3) ? this.pick(CHUNK_EXTS) : ""}\r\n${"y".repeat(n)}\r\n`;
    }
    out += `0${this.chance(0.2) ? this.pick(CHUNK_EXTS) : ""}\r\n`;
    if (this.chance(0.2)) out += this.pick(["T: v\r\n", "T: v\r\nU: w\r\n", "T:\r\n", "T : v\r\n", " T: v\r\n", "T\r\n", "T: v\r\n x\r\n"]);
    return out + "\r\n";
  }

  /** Field-level mutations: duplicate, fold, split, re-case, drop, whitespace around the colon. */
  private mutateFields(req: Request, how: string[]): void {
    if (req.fields.length === 0) return;
    const i = this.int(req.fields.length);
    const [name, value] = req.fields[i]!;
    switch (this.int(7)) {
      case 0:
        req.fields.splice(i, 0, [name, value]);
        how.push(`dup ${name}`);
        break;
      case 1:
        req.fields[i] = [name, `${value}\r\n${this.pick([" ", "\t"])}${value}`];
        how.push(`fold ${name}`);
        break;
      case 2: {
        const cut = this.int(value.length + 1);
        req.fields.splice(i, 1, [name, value.slice(0, cut)], [name, value.slice(cut)]);
        how.push(`split ${name}`);
        break;
      }
      case 3:
        req.fields[i] = [this.chance(0.5) ? name.toUpperCase() : name.toLowerCase(), value];
        how.push(`case ${name}`);
        break;
      case 4:
        req.fields.splice(i, 1);
        how.push(`drop ${name}`);
        break;
      case 5:
        req.fields[i] = [`${name}${this.pick([" ", "\t", ""])}`, `${this.pick(["", " ", "\t", "  "])}${value}${this.pick(["", " ", "\t"])}`];
        how.push(`ws ${name}`);
        break;
      default:
        req.fields[i] = [name, `${value}${this.pick([",", ", ", ",,"])}${value}`];
        how.push(`list ${name}`);
    }
  }

  /** Byte-level mutations, half of them next to a structural byte (CR, LF, ':', ';', SP). */
  private mutateBytes(bytes: Uint8Array, how: string[]): Uint8Array {
    if (bytes.length === 0) return bytes;
    let at = this.int(bytes.length);
    if (this.chance(0.5)) {
      for (let k = 0; k < bytes.length; k++) {
        const b = bytes[(at + k) % bytes.length]!;
        if (b === 0x0d || b === 0x0a || b === 0x3a || b === 0x3b || b === 0x20) {
          at = (at + k) % bytes.length + (this.chance(0.5) ? 0 : 1);
          break;
        }
      }
    }
    at = Math.min(at, bytes.length);
    const arr = Array.from(bytes);
    const op = this.int(5);
    const special = latin1(this.pick(SPECIAL));
    const shown = JSON.stringify(String.fromCharCode(...special));
    if (op === 0) {
      arr.splice(at, 0, ...special);
      how.push(`insert ${shown}@${at}`);
    } else if (op === 1 && at < arr.length) {
      arr.splice(at, 1);
      how.push(`delete @${at}`);
    } else if (op === 2 && at < arr.length) {
      arr.splice(at, 0, arr[at]!);
      how.push(`duplicate @${at}`);
    } else if (op === 3 && at + 1 < arr.length) {
      [arr[at], arr[at + 1]] = [arr[at + 1]!, arr[at]!];
      how.push(`swap @${at}`);
    } else if (at < arr.length) {
      arr.splice(at, 1, ...special);
      how.push(`replace ${shown}@${at}`);
    }
    return Uint8Array.from(arr);
  }

  /** Random read boundaries for one input (0-4 cuts). */
  cuts(length: number): number[] {
    const cuts: number[] = [];
    for (let k = this.int(5); k > 0; k--) cuts.push(this.int(length + 1));
    return cuts.sort((a, b) => a - b);
  }
}

function serialize(req: Request): string {
  let head = `${req.line}\r\n`;
  for (const [n, v] of req.fields) head += `${n}:${v === "" ? "" : " "}${v}\r\n`;
  return `${head}\r\n${req.body}`;
}
