/**
 * Checks a decoded request header list field by field (RFC 9113 §8.2, §8.3)
 * and keeps what the app needs. One per connection, reused for every block:
 * the HPACK decoder calls `field` as it decodes.
 */

/** Why a header list is malformed (§8.1.1: a stream error PROTOCOL_ERROR); a closed table. */
export const Malformed = {
  NONE: 0,
  /** §8.2.1: field names are lower-case. */
  UPPERCASE_NAME: 1,
  /** §8.2.1: no controls, spaces, DEL or non-ASCII in a name; ':' only to start a pseudo-field. */
  INVALID_NAME: 2,
  /** §8.2.1: no NUL, CR or LF, and no leading or trailing whitespace. */
  INVALID_VALUE: 3,
  /** §8.2.2: connection-specific fields have no place in HTTP/2. */
  CONNECTION_FIELD: 4,
  /** §8.3: TE may carry only "trailers". */
  BAD_TE: 5,
  /** §8.3: pseudo-fields come before regular fields. */
  PSEUDO_AFTER_REGULAR: 6,
  /** §8.3: only the defined request pseudo-fields (no :status, no :protocol without RFC 8441). */
  UNKNOWN_PSEUDO: 7,
  /** §8.3.1: each pseudo-field at most once. */
  DUPLICATE_PSEUDO: 8,
  /** §8.3.1: :method, :scheme and a non-empty :path (CONNECT: :authority only, §8.5). */
  MISSING_PSEUDO: 9,
  /** RFC 9110 §8.6: one non-negative decimal, repeated only identically. */
  BAD_CONTENT_LENGTH: 10,
  /** §8.1: a trailer section carries no pseudo-fields. */
  PSEUDO_IN_TRAILERS: 11,
} as const;
export type Malformed = (typeof Malformed)[keyof typeof Malformed];

/** §8.2.2: "connection-specific" fields a message MUST NOT carry. */
const CONNECTION_FIELDS: ReadonlySet<string> = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/**
 * Positions of a list remembered as already checked, and the longest string remembered: a
 * client's repeated list is a few fields, and a long literal is not kept alive for a memo.
 */
const MEMO_FIELDS = 16;
const MEMO_MAX_LENGTH = 256;

const PSEUDO_METHOD = 1;
const PSEUDO_SCHEME = 2;
const PSEUDO_AUTHORITY = 4;
const PSEUDO_PATH = 8;

export class RequestHead {
  method = "";
  scheme = "";
  authority = "";
  path = "";
  fields: string[] = [];
  /** The Content-Length value, -1 when absent. */
  contentLength = -1;
  malformed: Malformed = Malformed.NONE;
  private seen = 0;
  private regular = false;
  private trailers = false;
  /** Position of the next field in the list. */
  private at = 0;
  /**
   * The strings whose characters passed {@link checkName} and {@link validValue}, by position in
   * the list. A client repeats its list from its HPACK table, so the decoder hands over the very
   * same string objects each time (static entries, dynamic entries): an identity match needs no
   * second look at the characters. The checks per field that depend on the list (pseudo-fields,
   * connection fields, TE, Content-Length) still run. Made at the first list (idle connections keep none).
   */
  private checkedNames: string[] | null = null;
  private checkedValues: string[] | null = null;
  /** The last Content-Length value that parsed, and its number (a repeated request sends the same one). */
  private lengthText = "";
  private lengthValue = -1;

  /** Bound once, handed to the decoder for every block. */
  readonly field = (name: string, value: string): void => {
    if (this.malformed !== Malformed.NONE) return;
    this.malformed = this.check(name, value);
  };

  /** Starts a header list: a request's head, or (`trailers`) its trailer section. */
  begin(trailers: boolean): void {
    this.trailers = trailers;
    this.malformed = Malformed.NONE;
    this.regular = false;
    this.at = 0;
    if (trailers) return;
    this.method = this.scheme = this.authority = this.path = "";
    this.fields = [];
    this.contentLength = -1;
    this.seen = 0;
  }

  /** After the block: the required pseudo-fields (§8.3.1). */
  finish(): Malformed {
    if (this.malformed !== Malformed.NONE || this.trailers) return this.malformed;
    if ((this.seen & PSEUDO_METHOD) === 0) return (this.malformed = Malformed.MISSING_PSEUDO);
    if (this.method === "CONNECT") {
      // §8.5: CONNECT names only its authority.
      if (this.seen !== (PSEUDO_METHOD | PSEUDO_AUTHORITY)) this.malformed = Malformed.MISSING_PSEUDO;
    } else if ((this.seen & (PSEUDO_SCHEME | PSEUDO_PATH)) !== (PSEUDO_SCHEME | PSEUDO_PATH) || this.path === "") {
      this.malformed = Malformed.MISSING_PSEUDO;
    }
    return this.malformed;
  }

  private check(name: string, value: string): Malformed {
    const at = this.at++;
    const names = (this.checkedNames ??= []);
    const values = (this.checkedValues ??= []);
    if (at >= MEMO_FIELDS || names[at] !== name || values[at] !== value) {
      const bad = checkName(name);
      if (bad !== Malformed.NONE) return bad;
      if (!validValue(value)) return Malformed.INVALID_VALUE;
      if (at < MEMO_FIELDS && name.length <= MEMO_MAX_LENGTH && value.length <= MEMO_MAX_LENGTH) {
        names[at] = name;
        values[at] = value;
      }
    }
    if (name.charCodeAt(0) === 0x3a) {
      if (this.trailers) return Malformed.PSEUDO_IN_TRAILERS;
      if (this.regular) return Malformed.PSEUDO_AFTER_REGULAR;
      return this.pseudo(name, value);
    }
    this.regular = true;
    if (CONNECTION_FIELDS.has(name)) return Malformed.CONNECTION_FIELD;
    if (name === "te" && value !== "trailers") return Malformed.BAD_TE;
    if (name === "content-length" && !this.trailers) {
      // The same string as last time (a literal the HPACK decoder recalled) was a valid length then.
      let n = this.lengthText === value ? this.lengthValue : -1;
      if (n < 0) {
        if (!/^[0-9]{1,15}$/.test(value)) return Malformed.BAD_CONTENT_LENGTH;
        n = Number(value);
        this.lengthText = value;
        this.lengthValue = n;
      }
      if (this.contentLength !== -1 && this.contentLength !== n) return Malformed.BAD_CONTENT_LENGTH;
      this.contentLength = n;
    }
    if (!this.trailers) this.fields.push(name, value);
    return Malformed.NONE;
  }

  private pseudo(name: string, value: string): Malformed {
    let bit: number;
    if (name === ":method") bit = PSEUDO_METHOD;
    else if (name === ":scheme") bit = PSEUDO_SCHEME;
    else if (name === ":authority") bit = PSEUDO_AUTHORITY;
    else if (name === ":path") bit = PSEUDO_PATH;
    else return Malformed.UNKNOWN_PSEUDO;
    if ((this.seen & bit) !== 0) return Malformed.DUPLICATE_PSEUDO;
    this.seen |= bit;
    if (bit === PSEUDO_METHOD) this.method = value;
    else if (bit === PSEUDO_SCHEME) this.scheme = value;
    else if (bit === PSEUDO_AUTHORITY) this.authority = value;
    else this.path = value;
    return Malformed.NONE;
  }
}

function checkName(name: string): Malformed {
  if (name.length === 0) return Malformed.INVALID_NAME;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return Malformed.UPPERCASE_NAME;
    if (c <= 0x20 || c >= 0x7f || (c === 0x3a && i > 0)) return Malformed.INVALID_NAME;
  }
  return Malformed.NONE;
}

function validValue(value: string): boolean {
  const n = value.length;
  if (n === 0) return true;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return false;
  }
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(n - 1);
  return first !== 0x20 && first !== 0x09 && last !== 0x20 && last !== 0x09;
}
