/**
 * Checks the part of a request head that has arrived so far, byte by byte
 * against the request-line and field-line grammar (RFC 9112 §3, §5), so a
 * head that can never become valid is refused when its bad byte arrives, as
 * llhttp does, instead of when the head completes or the header timeout
 * fires. Only heads split across reads pay for it: a head that arrives
 * whole is parsed by head.ts and never comes here. Resumable: each call
 * continues where the last one stopped, so a trickled head costs O(bytes).
 */
import { Byte, FIELD_VALUE_CHAR, Limits, type ParseErrorKind, TARGET_CHAR, TCHAR } from "./constants.ts";
import { requestLineError } from "./head.ts";

/** Every state, in the order the grammar visits them. */
const State = {
  METHOD: 0, // tchar+, then SP
  TARGET: 1, // visible ASCII, then SP
  VERSION: 2, // "HTTP/" DIGIT "." DIGIT CR LF, `versionAt` bytes in
  LINE_START: 3, // a field-name's first tchar (the blank line ends the head before this runs)
  NAME: 4, // tchar*, then ":"
  VALUE: 5, // field-vchar, SP, HTAB, up to CR
  VALUE_LF: 6, // CR seen: LF must follow (RFC 9112 §2.2)
} as const;
type StateValue = (typeof State)[keyof typeof State];

/** The bytes of HTTP-version, position by position; 0 marks a DIGIT. */
const VERSION = [Byte.H, Byte.T, Byte.T, Byte.P, Byte.SLASH, 0, Byte.DOT, 0, Byte.CR, Byte.LF];

export class HeadPrefix {
  private state: StateValue = State.METHOD;
  /** Bytes of the head checked so far (offsets are relative to the head's first byte). */
  private checked = 0;
  private versionAt = 0;
  private elementBytes = 0;

  reset(): void {
    this.state = State.METHOD;
    this.checked = this.versionAt = this.elementBytes = 0;
  }

  /** Checks buf[start + checked, end). Returns the error, or null while the prefix may still become a valid head. */
  check(buf: Uint8Array, start: number, end: number): ParseErrorKind | null {
    for (let i = start + this.checked; i < end; i++) {
      const wasVersion = this.state === State.VERSION;
      const error = this.step(buf[i]!);
      if (error !== null) return error;
      // The request line is complete: judge it as a complete head's would be (the same
      // statuses in the same order: 400, then 505, then 501 for an unknown method).
      if (wasVersion && this.state === State.LINE_START) {
        const lineError = requestLineError(buf, start, i + 1);
        if (lineError !== null) return lineError;
      }
    }
    this.checked = end - start;
    return null;
  }

  private step(b: number): ParseErrorKind | null {
    switch (this.state) {
      case State.METHOD:
        // RFC 9112 §3: a method longer than any implemented gets 501 at once, as head.ts answers
        // it, and never the 414 of a long request line (head-reader.ts judges the length after this).
        if (TCHAR[b] === 1) {
          if (this.elementBytes === Limits.METHOD) return "METHOD_NOT_IMPLEMENTED";
          break;
        }
        // RFC 9112 §3: method SP request-target, one SP.
        if (b !== Byte.SP || this.elementBytes === 0) return "BAD_REQUEST_LINE";
        return this.next(State.TARGET);
      case State.TARGET:
        if (TARGET_CHAR[b] !== 0) break;
        if (b !== Byte.SP || this.elementBytes === 0) return "BAD_REQUEST_LINE";
        return this.next(State.VERSION);
      case State.VERSION: {
        const want = VERSION[this.versionAt++]!;
        const ok = want === 0 ? b >= Byte.ZERO && b <= Byte.NINE : b === want;
        if (!ok) return "BAD_REQUEST_LINE";
        if (this.versionAt === VERSION.length) return this.next(State.LINE_START);
        return null;
      }
      case State.LINE_START:
        // The CR of the blank line that ends the head: its LF completes it (head-reader.ts sees that).
        if (b === Byte.CR) return this.next(State.VALUE_LF);
        // RFC 9112 §5.2: obs-fold is refused.
        if (b === Byte.SP || b === Byte.HTAB) return "OBS_FOLD";
        if (TCHAR[b] !== 1) return "BAD_HEADER";
        return this.next(State.NAME);
      case State.NAME:
        if (TCHAR[b] === 1) break;
        // RFC 9112 §5.1: no whitespace between the field name and the colon.
        if (b !== Byte.COLON) return "BAD_HEADER";
        return this.next(State.VALUE);
      case State.VALUE:
        if (FIELD_VALUE_CHAR[b] === 1) break;
        if (b !== Byte.CR) return "BAD_HEADER";
        return this.next(State.VALUE_LF);
      case State.VALUE_LF:
        if (b !== Byte.LF) return "BARE_CR";
        return this.next(State.LINE_START);
    }
    this.elementBytes++;
    return null;
  }

  private next(state: StateValue): null {
    this.state = state;
    this.elementBytes = 0;
    return null;
  }
}
