/**
 * A streaming UTF-8 validator (RFC 3629 §4's grammar as a DFA), so a text message is checked as
 * its bytes arrive, across reads and fragments, without buffering a code point: RFC 6455 §8.1
 * fails the connection as soon as invalid UTF-8 is seen. The state between calls is one small
 * integer; a message is valid when its last byte leaves the state at {@link Utf8.ACCEPT}.
 */

/** Validator states: ACCEPT between code points, REJECT for good, the rest mid-sequence. */
export const Utf8 = {
  ACCEPT: 0,
  REJECT: 1,
  /** One more continuation byte (80–BF). */
  NEED1: 2,
  NEED2: 3,
  NEED3: 4,
  /** After E0: A0–BF (no overlong three-byte forms). */
  AFTER_E0: 5,
  /** After ED: 80–9F (no UTF-16 surrogates D800–DFFF). */
  AFTER_ED: 6,
  /** After F0: 90–BF (no overlong four-byte forms). */
  AFTER_F0: 7,
  /** After F4: 80–8F (nothing above U+10FFFF). */
  AFTER_F4: 8,
} as const;

/** Byte classes: the ranges RFC 3629 §4 tells apart. */
const Class = { ASCII: 0, C80_8F: 1, C90_9F: 2, CA0_BF: 3, LEAD2: 4, E0: 5, LEAD3: 6, ED: 7, F0: 8, LEAD4: 9, F4: 10, INVALID: 11 } as const;
const CLASSES = 12;

const byteClass = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  byteClass[b] =
    b < 0x80 ? Class.ASCII
    : b < 0x90 ? Class.C80_8F
    : b < 0xa0 ? Class.C90_9F
    : b < 0xc0 ? Class.CA0_BF
    : b < 0xc2 ? Class.INVALID // C0, C1: overlong two-byte forms
    : b < 0xe0 ? Class.LEAD2
    : b === 0xe0 ? Class.E0
    : b === 0xed ? Class.ED
    : b < 0xf0 ? Class.LEAD3
    : b === 0xf0 ? Class.F0
    : b < 0xf4 ? Class.LEAD4
    : b === 0xf4 ? Class.F4
    : Class.INVALID; // F5–FF: beyond U+10FFFF
}

/** next = transition[state * CLASSES + class]; every unlisted pair rejects. */
const transition = new Uint8Array(9 * CLASSES).fill(Utf8.REJECT);
function on(state: number, classes: number[], next: number): void {
  for (const c of classes) transition[state * CLASSES + c] = next;
}
const CONT = [Class.C80_8F, Class.C90_9F, Class.CA0_BF];
on(Utf8.ACCEPT, [Class.ASCII], Utf8.ACCEPT);
on(Utf8.ACCEPT, [Class.LEAD2], Utf8.NEED1);
on(Utf8.ACCEPT, [Class.E0], Utf8.AFTER_E0);
on(Utf8.ACCEPT, [Class.LEAD3], Utf8.NEED2);
on(Utf8.ACCEPT, [Class.ED], Utf8.AFTER_ED);
on(Utf8.ACCEPT, [Class.F0], Utf8.AFTER_F0);
on(Utf8.ACCEPT, [Class.LEAD4], Utf8.NEED3);
on(Utf8.ACCEPT, [Class.F4], Utf8.AFTER_F4);
on(Utf8.NEED1, CONT, Utf8.ACCEPT);
on(Utf8.NEED2, CONT, Utf8.NEED1);
on(Utf8.NEED3, CONT, Utf8.NEED2);
on(Utf8.AFTER_E0, [Class.CA0_BF], Utf8.NEED1);
on(Utf8.AFTER_ED, [Class.C80_8F, Class.C90_9F], Utf8.NEED1);
on(Utf8.AFTER_F0, [Class.C90_9F, Class.CA0_BF], Utf8.NEED2);
on(Utf8.AFTER_F4, [Class.C80_8F], Utf8.NEED2);

/** Runs `buf[start, end)` from `state`; returns the state after (REJECT as soon as a byte is invalid). */
export function validateUtf8(state: number, buf: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    // Text is mostly ASCII: between code points, skip it without a table look-up.
    if (state === Utf8.ACCEPT) {
      while (i < end && buf[i]! < 0x80) i++;
      if (i === end) break;
    }
    state = transition[state * CLASSES + byteClass[buf[i]!]!]!;
    if (state === Utf8.REJECT) return state;
    i++;
  }
  return state;
}
