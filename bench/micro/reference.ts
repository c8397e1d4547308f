/**
 * Reference scans for the head reader: the least work that finds a head's
 * end, one with Uint8Array#indexOf per line (what HeadReader.scan does,
 * minus its checks) and one with a plain byte loop. Their ratio tells
 * whether calling indexOf once per line costs more than it saves.
 */
const LF = 0x0a;
const CR = 0x0d;

/** Index just past the first CRLF CRLF in buf[start, end), or -1; one indexOf call per line. */
export function headEndByIndexOf(buf: Uint8Array, start: number, end: number): number {
  let lineStart = start;
  for (;;) {
    const lf = buf.indexOf(LF, lineStart);
    if (lf === -1 || lf >= end) return -1;
    if (lf === lineStart + 1) return lf + 1;
    lineStart = lf + 1;
  }
}

/** Same result with a byte loop the JIT can inline. */
export function headEndByLoop(buf: Uint8Array, start: number, end: number): number {
  for (let i = start + 3; i < end; i++) {
    if (buf[i] === LF && buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) return i + 1;
  }
  return -1;
}
