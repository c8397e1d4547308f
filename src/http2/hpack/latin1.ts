/**
 * Octets to a string with one char per octet. TextDecoder has no such
 * encoding ("latin1" is windows-1252 in the WHATWG table, which changes
 * 0x80-0x9F) and Buffer.latin1Slice is Node's, so the core builds it itself.
 */

/** Above this length one `apply` beats a loop of one-char strings. */
const LOOP_MAX = 16;
/** Arguments per `apply`, well under every engine's argument limit. */
const APPLY_CHUNK = 4096;

export function latin1(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= LOOP_MAX) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  let s = "";
  for (let i = start; i < end; i += APPLY_CHUNK) {
    const part = bytes.subarray(i, Math.min(end, i + APPLY_CHUNK));
    s += String.fromCharCode.apply(null, part as unknown as number[]);
  }
  return s;
}
