/**
 * The static table of RFC 7541 Appendix A, index 1..61 (slot 0 unused: index 0
 * is an error, §6.1). The strings are built once at load, so a field decoded
 * from the static table costs no allocation.
 */

// prettier-ignore
const ENTRIES: ReadonlyArray<readonly [string, string]> = [
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"],
  [":path", "/index.html"], [":scheme", "http"], [":scheme", "https"], [":status", "200"],
  [":status", "204"], [":status", "206"], [":status", "304"], [":status", "400"],
  [":status", "404"], [":status", "500"], ["accept-charset", ""], ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""], ["accept-ranges", ""], ["accept", ""], ["access-control-allow-origin", ""],
  ["age", ""], ["allow", ""], ["authorization", ""], ["cache-control", ""],
  ["content-disposition", ""], ["content-encoding", ""], ["content-language", ""], ["content-length", ""],
  ["content-location", ""], ["content-range", ""], ["content-type", ""], ["cookie", ""],
  ["date", ""], ["etag", ""], ["expect", ""], ["expires", ""],
  ["from", ""], ["host", ""], ["if-match", ""], ["if-modified-since", ""],
  ["if-none-match", ""], ["if-range", ""], ["if-unmodified-since", ""], ["last-modified", ""],
  ["link", ""], ["location", ""], ["max-forwards", ""], ["proxy-authenticate", ""],
  ["proxy-authorization", ""], ["range", ""], ["referer", ""], ["refresh", ""],
  ["retry-after", ""], ["server", ""], ["set-cookie", ""], ["strict-transport-security", ""],
  ["transfer-encoding", ""], ["user-agent", ""], ["vary", ""], ["via", ""],
  ["www-authenticate", ""],
];

/** How many entries the static table has; dynamic indexes start after it (§2.3.3). */
export const STATIC_TABLE_LENGTH = 61;

/** Entry names by index (slot 0 is ""). */
export const STATIC_NAMES: readonly string[] = ["", ...ENTRIES.map((e) => e[0])];
/** Entry values by index (slot 0 is ""). */
export const STATIC_VALUES: readonly string[] = ["", ...ENTRIES.map((e) => e[1])];

/** The first static index carrying each name, for the encoder's literal-with-name-index. */
export const STATIC_NAME_INDEX: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  for (let i = STATIC_TABLE_LENGTH; i >= 1; i--) m.set(STATIC_NAMES[i]!, i);
  return m;
})();

/** The static index of `:status` with each value the table has (8..14). */
export const STATIC_STATUS_INDEX: ReadonlyMap<number, number> = (() => {
  const m = new Map<number, number>();
  for (let i = 1; i <= STATIC_TABLE_LENGTH; i++) if (STATIC_NAMES[i] === ":status") m.set(Number(STATIC_VALUES[i]), i);
  return m;
})();
