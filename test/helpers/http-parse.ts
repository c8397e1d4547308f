/**
 * A strict parser of the server's responses, for tests: status line, CRLF
 * header lines, `Content-Length` framing (the server never sends chunked).
 * Anything malformed throws, so a test never mistakes garbage for a pass.
 */

export interface ParsedResponse {
  status: number;
  reason: string;
  version: string;
  /** Header fields in order, names as sent. */
  headers: Array<[string, string]>;
  body: Uint8Array;
  /** The exact bytes of this response on the wire. */
  raw: Uint8Array;
}

/** Decides whether the response being parsed has no body despite Content-Length (HEAD); gets the statuses so far, this one last. */
export type NoBody = (statuses: readonly number[]) => boolean;

const decoder = new TextDecoder("latin1");

export function header(r: ParsedResponse, name: string): string | undefined {
  const lower = name.toLowerCase();
  return r.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

export function bodyText(r: ParsedResponse): string {
  return new TextDecoder().decode(r.body);
}

/**
 * Parses every complete response at the start of `bytes`. Returns them and
 * how many bytes they used; an incomplete tail is left for the next call.
 */
export function parseResponses(
  bytes: Uint8Array,
  noBody: NoBody = (s) => s[s.length - 1]! < 200,
  previous: readonly number[] = [],
): { responses: ParsedResponse[]; used: number } {
  const responses: ParsedResponse[] = [];
  const statuses = [...previous];
  let pos = 0;
  for (;;) {
    const headEnd = indexOfCrlfCrlf(bytes, pos);
    if (headEnd === -1) break;
    const head = decoder.decode(bytes.subarray(pos, headEnd));
    const lines = head.split("\r\n");
    const m = /^(HTTP\/\d\.\d) (\d{3}) ([^\r\n]*)$/.exec(lines[0]!);
    if (m === null) throw new Error(`bad status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    const status = Number(m[2]);
    const headers: Array<[string, string]> = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0 || /[\s]/.test(line.slice(0, colon)) || line.includes("\n") || line.includes("\r")) {
        throw new Error(`bad header line: ${JSON.stringify(line.slice(0, 80))}`);
      }
      headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
    statuses.push(status);
    const cl = headers.filter(([n]) => n.toLowerCase() === "content-length");
    if (cl.length > 1) throw new Error("more than one Content-Length in a response");
    if (headers.some(([n]) => n.toLowerCase() === "transfer-encoding")) throw new Error("unexpected Transfer-Encoding in a response");
    const skip = noBody(statuses);
    let length = 0;
    if (!skip) {
      if (cl.length === 0) throw new Error(`response ${status} without Content-Length`);
      length = Number(cl[0]![1]);
      if (!Number.isInteger(length) || length < 0) throw new Error(`bad Content-Length '${cl[0]![1]}'`);
    }
    const bodyStart = headEnd + 4;
    if (bytes.length - bodyStart < length) {
      statuses.pop();
      break;
    }
    responses.push({
      status,
      reason: m[3]!,
      version: m[1]!,
      headers,
      body: bytes.slice(bodyStart, bodyStart + length),
      raw: bytes.slice(pos, bodyStart + length),
    });
    pos = bodyStart + length;
  }
  return { responses, used: pos };
}

function indexOfCrlfCrlf(b: Uint8Array, from: number): number {
  for (let i = from; i + 3 < b.length; i++) {
    if (b[i] === 0x0d && b[i + 1] === 0x0a && b[i + 2] === 0x0d && b[i + 3] === 0x0a) return i;
  }
  return -1;
}

/** Parses a byte stream that must consist of complete responses only. */
export function parseAllResponses(bytes: Uint8Array, noBody?: NoBody): ParsedResponse[] {
  const { responses, used } = parseResponses(bytes, noBody);
  if (used !== bytes.length) throw new Error(`${bytes.length - used} trailing bytes after ${responses.length} responses`);
  return responses;
}
