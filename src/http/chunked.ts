/**
 * Reads (and discards) a chunked body, RFC 9112 §7.1, one byte state at a
 * time so a body may arrive split anywhere. Only framing matters to this
 * server: data, extensions and trailer fields are skipped, bounded.
 */
import { Byte, HEX_VALUE, Limits, type ParseErrorKind } from "./constants.ts";

/** Every state of the decoder, in the order the grammar visits them. */
const State = {
  SIZE_START: 0, // expecting the first hex digit of chunk-size
  SIZE: 1, // more hex digits, or the end of chunk-size
  EXTENSION: 2, // chunk-ext up to CR (RFC 9112 §7.1.1), skipped
  SIZE_LF: 3, // CR seen after the size line
  DATA: 4, // chunk-data bytes remain
  DATA_CR: 5, // CRLF after chunk-data
  DATA_LF: 6,
  TRAILER_START: 7, // start of a trailer line, or the final CRLF (RFC 9112 §7.1.2)
  TRAILER: 8, // inside a trailer field line, skipped
  TRAILER_LF: 9, // CR seen at the end of a trailer line
  END_LF: 10, // CR seen of the final empty line
  DONE: 11,
} as const;
type StateValue = (typeof State)[keyof typeof State];

export const ChunkedStatus = { NEED_MORE: -1, ERROR: -2 } as const;

export class ChunkedDecoder {
  private state: StateValue = State.SIZE_START;
  private size = 0;
  private digits = 0;
  private remaining = 0;
  private total = 0;
  private lineBytes = 0;
  private trailerBytes = 0;
  error: ParseErrorKind | null = null;

  constructor(
    private readonly maxBodySize: number,
    private readonly maxTrailerSize: number,
  ) {}

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
      switch (this.state) {
        case State.SIZE_START:
        case State.SIZE: {
          const v = HEX_VALUE[b]!;
          if (v !== 255) {
            if (this.state === State.SIZE_START) {
              this.size = this.digits = 0;
              this.state = State.SIZE;
            }
            // A chunk-size beyond MAX_LENGTH_DIGITS hex digits is larger than any accepted body.
            if (++this.digits > Limits.MAX_LENGTH_DIGITS) return this.fail("BODY_TOO_LARGE");
            this.size = this.size * 16 + v;
            p++;
            break;
          }
          if (this.state === State.SIZE_START) return this.fail("BAD_CHUNK");
          // RFC 9110 §15.5.14: the running total of chunk sizes is the body length; over the limit, 413.
          if (this.total + this.size > this.maxBodySize) return this.fail("BODY_TOO_LARGE");
          if (b === Byte.CR) this.state = State.SIZE_LF;
          // RFC 9112 §7.1.1: BWS may precede ';' of a chunk extension.
          else if (b === Byte.SEMICOLON || b === Byte.SP || b === Byte.HTAB) {
            this.state = State.EXTENSION;
            this.lineBytes = 0;
          } else return this.fail("BAD_CHUNK");
          p++;
          break;
        }
        case State.EXTENSION:
          if (b === Byte.CR) this.state = State.SIZE_LF;
          else if (b === Byte.LF || b < Byte.SP && b !== Byte.HTAB) return this.fail("BAD_CHUNK");
          else if (++this.lineBytes > Limits.CHUNK_EXTENSION) return this.fail("BAD_CHUNK");
          p++;
          break;
        case State.SIZE_LF:
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
        case State.DATA: {
          const n = Math.min(this.remaining, end - p);
          p += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = State.DATA_CR;
          break;
        }
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
          else {
            this.state = State.TRAILER;
            continue;
          }
          p++;
          break;
        case State.TRAILER:
          if (b === Byte.CR) this.state = State.TRAILER_LF;
          else if (b === Byte.LF || b < Byte.SP && b !== Byte.HTAB) return this.fail("BAD_CHUNK");
          // RFC 9112 §7.1.2: trailer fields are a header section; the same size limit applies (431).
          if (++this.trailerBytes > this.maxTrailerSize) return this.fail("HEADERS_TOO_LARGE");
          p++;
          break;
        case State.TRAILER_LF:
          if (b !== Byte.LF) return this.fail("BAD_CHUNK");
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

  private fail(kind: ParseErrorKind): number {
    this.error = kind;
    return ChunkedStatus.ERROR;
  }
}
