/**
 * An HTTP/2 stream's request as every responder reads it (src/contract/exchange.ts): the
 * counterpart of HTTP/1.1's Http1Request. The session hands over a decoded request whose fields
 * are a flat [name, value, …] list of lower-case names (pseudo-fields apart); lookups walk it,
 * which for the few fields a responder asks about costs less than building a map per stream.
 */
import type { SocketAddress } from "../contract/address.ts";
import type { ExchangeRequest, RequestFields } from "../contract/exchange.ts";
import type { Transport } from "../contract/socket.ts";
import type { Http2Request } from "../http2/types.ts";

export class H2ExchangeRequest implements ExchangeRequest, RequestFields {
  readonly protocol = "h2" as const;

  constructor(
    private readonly request: Http2Request,
    private readonly transport: Transport,
  ) {}

  get method(): string {
    return this.request.method;
  }

  get target(): string {
    return this.request.path;
  }

  get streamId(): number {
    return this.request.streamId;
  }

  get fields(): RequestFields {
    return this;
  }

  /** The whole body has arrived before a responder sees the stream, so its length is known. */
  get bodyLength(): number {
    return this.request.bodyLength;
  }

  get peer(): SocketAddress | null {
    return this.transport.remoteAddress?.() ?? null;
  }

  get local(): SocketAddress | null {
    return this.transport.localAddress?.() ?? null;
  }

  get tls(): boolean {
    return this.transport.tls === true;
  }

  get(lowerName: string): string | null {
    const r = this.request;
    if (lowerName.charCodeAt(0) === 0x3a) return pseudo(r, lowerName);
    const list = r.fields;
    let out: string | null = null;
    // RFC 9113 §8.2.3: cookie crumbs are joined with "; ", every other repeated field with ", " (RFC 9110 §5.3).
    const separator = lowerName === "cookie" ? "; " : ", ";
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] !== lowerName) continue;
      out = out === null ? list[i + 1]! : out + separator + list[i + 1]!;
    }
    // RFC 9113 §8.3.1: :authority stands in for Host, which a client need not send.
    if (out === null && lowerName === "host" && r.authority !== "") return r.authority;
    return out;
  }

  /** The pseudo-fields first, as they lead the block (RFC 9113 §8.3), then every field in the order received. */
  forEach(visit: (name: string, value: string) => void): void {
    const r = this.request;
    visit(":method", r.method);
    if (r.scheme !== "") visit(":scheme", r.scheme);
    if (r.authority !== "") visit(":authority", r.authority);
    if (r.path !== "") visit(":path", r.path);
    const list = r.fields;
    for (let i = 0; i < list.length; i += 2) visit(list[i]!, list[i + 1]!);
  }
}

function pseudo(r: Http2Request, name: string): string | null {
  switch (name) {
    case ":method":
      return r.method;
    case ":scheme":
      return r.scheme === "" ? null : r.scheme;
    case ":authority":
      return r.authority === "" ? null : r.authority;
    case ":path":
      return r.path === "" ? null : r.path;
    default:
      return null;
  }
}
