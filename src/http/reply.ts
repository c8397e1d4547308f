/**
 * A responder's {@link Reply} (src/contract/exchange.ts) in HTTP/1.1 framing: the status line,
 * Server, Date, Content-Type, Content-Length or chunked, Connection, the reply's own fields and
 * X-Served-By, all through the {@link ResponseCache}. A reply that is a variant of the configured
 * answer (its body, its status or a reason phrase, no fields of its own) is one of the cache's
 * prebuilt buffers, so a steered or counted pipeline of them still goes out as one cached repeat.
 */
import { BodyKind, type Reply } from "../contract/exchange.ts";
import { REASON } from "./constants.ts";
import { Persist, type ResponseCache } from "./response.ts";

/** The framed answer: `head` (with the content when `body` is null), then `body`. Reused: valid until the next call. */
export interface Framed {
  head: Uint8Array;
  body: Uint8Array | null;
}

const framed: Framed = { head: new Uint8Array(0), body: null };
const encoder = new TextEncoder();
const TEXT = "text/plain; charset=utf-8";
const CRLF = "\r\n";

/**
 * `reply` framed for a request that asked for `persist` (response.ts's {@link Persist}); `isHead`:
 * the head alone (RFC 9110 §9.3.2); `http10`: the request was HTTP/1.0, which cannot read chunked
 * (RFC 9112 §7.1), so its trailers are dropped and the length sent instead.
 */
export function frameReply(reply: Reply, persist: number, isHead: boolean, http10: boolean, responses: ResponseCache): Framed {
  const p = reply.close ? Persist.CLOSE : persist;
  const status = reply.status === 0 ? responses.status : reply.status;
  const body = reply.body;
  framed.body = null;
  if (reply.fields === null && reply.trailers === null) {
    if (body.kind === BodyKind.CONFIGURED) {
      framed.head = reply.status === 0 ? responses.get(p, isHead) : responses.withStatus(status, p, isHead);
      return framed;
    }
    if (body.kind === BodyKind.REASON) {
      framed.head = responses.reasonAnswer(status, p, isHead, body.text);
      return framed;
    }
  }
  let content: Uint8Array;
  let type: string;
  let fields = fieldLines(reply.fields);
  switch (body.kind) {
    case BodyKind.CONFIGURED:
      content = responses.configured.body;
      type = responses.configured.contentType;
      fields = responses.configured.fields + fields;
      break;
    case BodyKind.REASON:
      content = encoder.encode(body.text ?? `${REASON[status] ?? "Error"}\n`);
      type = TEXT;
      break;
    case BodyKind.BYTES:
      content = body.bytes;
      type = body.contentType;
      break;
    default:
      // A stream needs writes after this read's batch, which the HTTP/1.1 connection does not do yet:
      // refuse it plainly rather than send a head whose content never comes.
      framed.head = responses.reasonAnswer(500, Persist.CLOSE, isHead, "streamed replies are not served over HTTP/1.1 yet\n");
      return framed;
  }
  const chunked = reply.trailers !== null && !http10;
  if (chunked) fields += `Trailer: ${reply.trailers!.map(([n]) => n).join(", ")}${CRLF}`;
  framed.head = responses.replyHead(status, type, chunked ? -1 : content.length, p, fields);
  // RFC 9110 §15.3.5, §15.4.5: 204 and 304 carry no content; HEAD gets the head alone.
  if (isHead || status === 204 || status === 304) return framed;
  if (chunked) framed.body = chunkedBody(content, reply.trailers!);
  else if (content.length > 0) framed.body = content;
  return framed;
}

function fieldLines(fields: Reply["fields"]): string {
  if (fields === null) return "";
  let out = "";
  for (const [name, value] of fields) out += `${name}: ${value}${CRLF}`;
  return out;
}

/** RFC 9112 §7.1: the content as one chunk (none when empty), the last chunk, the trailer section, the final CRLF. */
function chunkedBody(content: Uint8Array, trailers: NonNullable<Reply["trailers"]>): Uint8Array {
  const open = content.length > 0 ? encoder.encode(`${content.length.toString(16)}${CRLF}`) : new Uint8Array(0);
  const close = encoder.encode(`${content.length > 0 ? CRLF : ""}0${CRLF}${fieldLines(trailers)}${CRLF}`);
  const out = new Uint8Array(open.length + content.length + close.length);
  out.set(open);
  out.set(content, open.length);
  out.set(close, open.length + content.length);
  return out;
}
