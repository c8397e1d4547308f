/**
 * How echo shows a request's body, as mendhak/http-https-echo and httpbin's /anything do: the
 * bytes as text when they are valid UTF-8, else base64, saying which, up to a limit
 * (--echo-max-body); beyond it the first bytes and `truncated`, with the whole length beside them
 * in the report. People compare it with what they sent to see what a proxy, WAF or mesh filter did.
 */
import { encodeBase64 } from "../ws/base64.ts";

/** How `data` is written: the bytes themselves (valid UTF-8) or base64 (RFC 4648 §4) of them. */
export const BodyEncoding = { UTF8: "utf-8", BASE64: "base64" } as const;
export type BodyEncoding = (typeof BodyEncoding)[keyof typeof BodyEncoding];

export interface EchoBody {
  /** The first bytes of the body (at most the limit), or null when the protocol did not hand it over. */
  data: string | null;
  encoding: BodyEncoding | null;
  /** The body was longer than the limit: `data` holds only its first bytes. */
  truncated: boolean;
}

/** No body: shown as the empty text, so a client can always compare `data` with what it sent. */
const EMPTY: EchoBody = { data: "", encoding: BodyEncoding.UTF8, truncated: false };
const MISSING: EchoBody = { data: null, encoding: null, truncated: false };

/**
 * `body` (null: not handed over) shown up to `limit` bytes. A multi-byte character cut by the limit
 * does not make a text body binary: the decoder runs in streaming mode, which keeps an incomplete
 * sequence at the end back instead of failing on it (WHATWG Encoding, "decode" with stream).
 */
export function echoBody(body: Uint8Array | null, bodyLength: number, limit: number): EchoBody {
  if (body === null) return bodyLength === 0 ? EMPTY : MISSING;
  if (body.length === 0) return EMPTY;
  const truncated = body.length > limit;
  const shown = truncated ? body.subarray(0, limit) : body;
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(shown, { stream: truncated });
    return { data: text, encoding: BodyEncoding.UTF8, truncated };
  } catch {
    return { data: encodeBase64(shown), encoding: BodyEncoding.BASE64, truncated };
  }
}
