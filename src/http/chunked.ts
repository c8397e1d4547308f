/**
 * Reads (and discards) a chunked body, RFC 9112 §7.1, one byte state at a
 * time so a body may arrive split anywhere. Only framing matters to this
 * server, so data (unless a `sink` asks for it), extensions and trailer fields are skipped, but each is
 * held to its grammar: a chunk line that two parsers could read differently
 * is where a body's end, and so the next request, gets smuggled.
 *
 *   chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 *   chunk-ext-name = token
 *   chunk-ext-val  = token / quoted-string
 *   trailer-section = *( field-line CRLF )
 */
import { Byte, HEX_VALUE, Limits, type ParseErrorKind, TCHAR, FIELD_VALUE_CHAR } from "./constants.ts";
import type { BodyCollector } from "./body-collector.ts";

/** Every state of the decoder, in the order the grammar visits them. */
const State = {
  SIZE_START: 0, // expecting the first hex digit of chunk-size
  SIZE: 1, // more hex digits, or what may follow chunk-size
  EXT_BWS: 2, // BWS after chunk-size: only ";" may end it (RFC 9112 §7.1.1)
  EXT_NAME_START: 3, // after ";": BWS, then the first tchar of chunk-ext-name
  EXT_NAME: 4, // in chunk-ext-name
  EXT_AFTER_NAME: 5, // BWS after a name: "=" or the next ";" must follow
  EXT_VALUE_START: 6, // after "=": BWS, then a token or a quoted-string
  EXT_TOKEN: 7, // in a token value
  EXT_QUOTED: 8, // in a quoted-string value (RFC 9110 §5.6.4)
  EXT_QUOTED_PAIR: 9, // after "\" in a quoted-string
  EXT_VALUE_END: 10, // just after the closing quote
  EXT_AFTER_VALUE: 11, // BWS after a value: only the next ";" may follow
  SIZE_LF: 12, // CR seen at the end of the chunk line
  DATA: 13, // chunk-data bytes remain
  DATA_CR: 14, // CRLF after chunk-data
  DATA_LF: 15,
  TRAILER_START: 16, // start of a trailer field line, or the final CRLF (RFC 9112 §7.1.2)
  TRAILER_NAME: 17, // in a trailer field-name
  TRAILER_VALUE: 18, // after its ":", up to CR
  TRAILER_LF: 19, // CR seen at the end of a trailer line
  END_LF: 20, // CR seen of the final empty line
  DONE: 21,
} as const;
type StateValue = (typeof State)[keyof typeof State];

export const ChunkedStatus = { NEED_MORE: -1, ERROR: -2 } as const;

/** RFC 9110 §5.6.4 qdtext and quoted-pair's second byte, as 256-entry lookups. */
const QDTEXT: Uint8Array = (() => {
  const t = new Uint8Array(256);
  t[Byte.HTAB] = t[Byte.SP] = t[0x21] = 1;
  for (let b = 0x23; b <= 0x5b; b++) t[b] = 1;
  for (let b = 0x5d; b <= 0x7e; b++) t[b] = 1;
  for (let b = 0x80; b <= 0xff; b++) t[b] = 1;
  return t;
})();
const QUOTED_PAIR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  t[Byte.HTAB] = 1;
  for (let b = 0x20; b <= 0x7e; b++) t[b] = 1;
  for (let b = 0x80; b <= 0xff; b++) t[b] = 1;
  return t;
})();

const isBws = (b: number): boolean => b === Byte.SP || b === Byte.HTAB;

export class ChunkedDecoder {
  private state: StateValue = State.SIZE_START;
  private size = 0;
  private digits = 0;
  /** The first significant hex digit of the size, for the 2^63 − 1 bound. */
  private lead = 0;
  private remaining = 0;
  private total = 0;
  private lineBytes = 0;
  private trailerBytes = 0;
  error: ParseErrorKind | null = null;
  /** Where chunk-data goes when a responder asked for the body; null (the default) skips it unread. */
  sink: BodyCollector | null = null;

  constructor(
    private readonly maxBodySize: number,
    private readonly maxTrailerSize: number,
  ) {}

  /** Chunk-data bytes decoded so far: the body's length once it has ended (echo reports it). */
  get bodyLength(): number {
    return this.total;
  }

  reset(): void {
    this.state = State.SIZE_START;
    this.total = this.trailerBytes = 0;
    this.error = null;
  }

  /** Consumes chunk[pos, end). Returns the index just past the body when it ends, or a {@link ChunkedStatus}. */
  feed(buf: Uint8Array, pos: number, end: number): number {
    let p = pos;
    while (p < end) {
      const b = buf[p]!;
      const s = this.state;
      if (s === State.DATA) {
        const n = Math.min(this.remaining, end - p);
        if (this.sink !== null) this.sink.append(buf, p, p + n);
        p += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = State.DATA_CR;
        continue;
      }
      if (s >= State.EXT_BWS && s <= State.EXT_AFTER_VALUE) {
        // Extensions are discarded; bound them so a client cannot stream an endless one.
        if (++this.lineBytes > Limits.CHUNK_EXTENSION) return this.fail("BAD_CHUNK");
        if (!this.extension(b)) return this.fail("BAD_CHUNK");
        p++;
        continue;
      }
      switch (s) {
        case State.SIZE_START:
        case State.SIZE: {
          const v = HEX_VALUE[b]!;
          if (v !== 255) {
            if (s === State.SIZE_START) {
              this.size = this.digits = 0;
              this.state = State.SIZE;
            }
            // Leading zeros do not count. RFC 9110 §8.6 (a chunk-size is a length too): past 2^63 − 1
            // a size cannot be represented, so it is no size at all: 400, as llhttp and nginx answer.
            // A representable one over the body limit gets 413 when its line ends, below.
            if (this.digits > 0 || v !== 0) {
              if (++this.digits === 1) this.lead = v;
              if (this.digits > Limits.MAX_LENGTH_HEX_DIGITS || (this.digits === Limits.MAX_LENGTH_HEX_DIGITS && this.lead > 7)) return this.fail("BAD_CHUNK");
            }
            // Past 2^53 the double is inexact, but then it is over any --max-body-size too.
            this.size = this.size * 16 + v;
            p++;
            break;
          }
          // RFC 9112 §7.1: chunk-size = 1*HEXDIG.
          if (s === State.SIZE_START) return this.fail("BAD_CHUNK");
          // RFC 9110 §15.5.14: the running total of chunk sizes is the body length; over the limit, 413.
          if (this.total + this.size > this.maxBodySize) return this.fail("BODY_TOO_LARGE");
          this.lineBytes = 0;
          if (b === Byte.CR) this.state = State.SIZE_LF;
          else if (b === Byte.SEMICOLON) this.state = State.EXT_NAME_START;
          // RFC 9112 §7.1.1: BWS may come before ";", and only before it ("a \r\n" is refused).
          else if (isBws(b)) this.state = State.EXT_BWS;
          else return this.fail("BAD_CHUNK");
          p++;
          break;
        }
        case State.SIZE_LF:
          // RFC 9112 §2.2: a CR not followed by LF is not a line end.
          if (b !== Byte.LF) return this.fail("BAD_CHUNK");
          p++;
          this.total += this.size;
          if (this.size === 0) {
            this.state = State.TRAILER_START;
          } else {
            this.remaining = this.size;
            this.state = State.DATA;
          }
          break;
        case State.DATA_CR:
          // RFC 9112 §7.1: chunk-data is followed by CRLF; anything else means the size lied.
          if (b !== Byte.CR) return this.fail("BAD_CHUNK");
          this.state = State.DATA_LF;
          p++;
          break;
        case State.DATA_LF:
          if (b !== Byte.LF) return this.fail("BAD_CHUNK");
          this.state = State.SIZE_START;
          p++;
          break;
        case State.TRAILER_START:
          if (b === Byte.CR) this.state = State.END_LF;
          // RFC 9112 §5.1-5.2 (trailers are field lines, §7.1.2): a field-name of tchar; no obs-fold.
          else if (TCHAR[b] === 1) this.state = State.TRAILER_NAME;
          else return this.fail("BAD_HEADER");
          if (!this.countTrailer()) return this.fail("HEADERS_TOO_LARGE");
          p++;
          break;
        case State.TRAILER_NAME:
          if (b === Byte.COLON) this.state = State.TRAILER_VALUE;
          // RFC 9112 §5.1: no whitespace between field name and colon.
          else if (TCHAR[b] !== 1) return this.fail("BAD_HEADER");
          if (!this.countTrailer()) return this.fail("HEADERS_TOO_LARGE");
          p++;
          break;
        case State.TRAILER_VALUE:
          if (b === Byte.CR) this.state = State.TRAILER_LF;
          // RFC 9110 §5.5: no CR, LF, NUL or other controls in a field value.
          else if (FIELD_VALUE_CHAR[b] !== 1) return this.fail("BAD_HEADER");
          if (!this.countTrailer()) return this.fail("HEADERS_TOO_LARGE");
          p++;
          break;
        case State.TRAILER_LF:
          if (b !== Byte.LF) return this.fail("BAD_HEADER");
          this.state = State.TRAILER_START;
          p++;
          break;
        case State.END_LF:
          if (b !== Byte.LF) return this.fail("BAD_CHUNK");
          this.state = State.DONE;
          return p + 1;
        default:
          return this.fail("BAD_CHUNK");
      }
    }
    return ChunkedStatus.NEED_MORE;
  }

  /** One byte of chunk-ext (states EXT_*). Returns false when the byte breaks the grammar. */
  private extension(b: number): boolean {
    switch (this.state) {
      case State.EXT_BWS:
        if (b === Byte.SEMICOLON) this.state = State.EXT_NAME_START;
        return b === Byte.SEMICOLON || isBws(b);
      case State.EXT_NAME_START:
        // chunk-ext-name = token: at least one tchar ("2;\r\n" is refused).
        if (TCHAR[b] === 1) this.state = State.EXT_NAME;
        return TCHAR[b] === 1 || isBws(b);
      case State.EXT_NAME:
        if (TCHAR[b] === 1) return true;
        return this.afterElement(b, true);
      case State.EXT_AFTER_NAME:
        if (isBws(b)) return true;
        if (b === Byte.EQUALS) this.state = State.EXT_VALUE_START;
        else if (b === Byte.SEMICOLON) this.state = State.EXT_NAME_START;
        else return false;
        return true;
      case State.EXT_VALUE_START:
        if (isBws(b)) return true;
        if (b === Byte.DQUOTE) this.state = State.EXT_QUOTED;
        else if (TCHAR[b] === 1) this.state = State.EXT_TOKEN;
        else return false;
        return true;
      case State.EXT_TOKEN:
        if (TCHAR[b] === 1) return true;
        return this.afterElement(b, false);
      case State.EXT_QUOTED:
        // A quoted-string must close and never holds CR or LF (RFC 9110 §5.6.4).
        if (b === Byte.DQUOTE) this.state = State.EXT_VALUE_END;
        else if (b === Byte.BACKSLASH) this.state = State.EXT_QUOTED_PAIR;
        else return QDTEXT[b] === 1;
        return true;
      case State.EXT_QUOTED_PAIR:
        this.state = State.EXT_QUOTED;
        return QUOTED_PAIR[b] === 1;
      case State.EXT_VALUE_END:
        return this.afterElement(b, false);
      case State.EXT_AFTER_VALUE:
        if (b === Byte.SEMICOLON) this.state = State.EXT_NAME_START;
        return b === Byte.SEMICOLON || isBws(b);
      default:
        return false;
    }
  }

  /** What may follow a name or value: CR ends the line, ";" starts the next extension, BWS waits for one. */
  private afterElement(b: number, afterName: boolean): boolean {
    if (b === Byte.CR) this.state = State.SIZE_LF;
    else if (b === Byte.SEMICOLON) this.state = State.EXT_NAME_START;
    else if (afterName && b === Byte.EQUALS) this.state = State.EXT_VALUE_START;
    else if (isBws(b)) this.state = afterName ? State.EXT_AFTER_NAME : State.EXT_AFTER_VALUE;
    else return false;
    return true;
  }

  /** RFC 9112 §7.1.2: trailer fields are a header section; the same size limit applies (431). */
  private countTrailer(): boolean {
    return ++this.trailerBytes <= this.maxTrailerSize;
  }

  private fail(kind: ParseErrorKind): number {
    this.error = kind;
    return ChunkedStatus.ERROR;
  }
}
