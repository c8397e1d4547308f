/**
 * One HTTP/2 exchange over node:http2's client (Bun and Node have it):
 * a GET over h2c with prior knowledge or h2 by ALPN, or a unary gRPC
 * health Check. The comparison uses it as the HTTP/2 kinds' start-up
 * probe (some peers speak no HTTP/1.1: node:http2 without allowHTTP1,
 * nginx's h2c-only port, grpc-js) and as their answer check: h2load
 * counts statuses but never reads a body or a trailer, so a server that
 * answers 200 with the wrong body, or a gRPC call with 200 and a
 * grpc-status other than OK, would otherwise count as served.
 *
 * Usage: const a = await h2Exchange(port, { tls: false, grpc: false }); h2Problems(a, { body: "hello" }) // [] = good
 */
import http2 from "node:http2";
import { GRPC_HEALTH_CHECK, GRPC_HEALTH_REQUEST } from "../../h2/h2load.ts";

export interface H2Answer {
  status: number;
  /** Lower-cased fields of the answer's header block (pseudo-fields left out). */
  fields: Record<string, string>;
  /** The trailers' fields (gRPC's grpc-status), empty when none came. */
  trailers: Record<string, string>;
  body: Uint8Array;
}

export interface H2ExchangeOptions {
  tls: boolean;
  grpc: boolean;
  timeoutMs?: number;
}

/**
 * A HealthCheckResponse { status: SERVING } as a gRPC message: not
 * compressed, length 2, field 1 as a varint (tag 0x08) = 1.
 */
export const GRPC_SERVING = new Uint8Array([0, 0, 0, 0, 2, 0x08, 0x01]);

const plain = (h: http2.IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith(":")).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]));

/** Resolves with the whole answer; rejects on a connection or stream error, or after timeoutMs. */
export function h2Exchange(port: number, o: H2ExchangeOptions): Promise<H2Answer> {
  // The session's certificate is made for the run: not verified, as h2load does not verify it either.
  const session = http2.connect(`${o.tls ? "https" : "http"}://127.0.0.1:${port}`, o.tls ? { rejectUnauthorized: false } : {});
  return new Promise<H2Answer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("HTTP/2 exchange timed out")), o.timeoutMs ?? 2000);
    session.on("error", (e) => reject(e));
    // gRPC over HTTP/2: POST, content-type application/grpc, te: trailers, the message length-prefixed.
    const req = session.request(o.grpc
      ? { ":method": "POST", ":path": GRPC_HEALTH_CHECK, "content-type": "application/grpc", te: "trailers" }
      : { ":method": "GET", ":path": "/" });
    let status = 0;
    let fields: Record<string, string> = {};
    let trailers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    req.on("response", (h) => ((status = Number(h[":status"])), (fields = plain(h))));
    req.on("trailers", (h) => (trailers = plain(h)));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", (e) => reject(e));
    req.on("end", () => resolve({ status, fields, trailers, body: new Uint8Array(Buffer.concat(chunks)) }));
    req.end(o.grpc ? GRPC_HEALTH_REQUEST : undefined);
    const done = () => (clearTimeout(timer), session.destroy());
    req.on("close", done);
    session.on("error", done);
  });
}

/** What is wrong with an answer; empty = the answer every server of its scenario must give. Pure. */
export function h2Problems(a: H2Answer, expect: { grpc: boolean; body: string }): string[] {
  const out: string[] = [];
  if (a.status !== 200) out.push(`status ${a.status}`);
  if (expect.grpc) {
    // A unary answer carries grpc-status in its trailers; a trailers-only answer (an error) in its fields.
    const grpcStatus = a.trailers["grpc-status"] ?? a.fields["grpc-status"];
    if (grpcStatus !== "0") out.push(`grpc-status ${grpcStatus ?? "missing"}`);
    if (!(a.fields["content-type"] ?? "").startsWith("application/grpc")) out.push(`content-type ${a.fields["content-type"] ?? "missing"}`);
    if (Buffer.compare(Buffer.from(a.body), Buffer.from(GRPC_SERVING)) !== 0) out.push(`message ${Buffer.from(a.body).toString("hex")} is not HealthCheckResponse SERVING`);
  } else {
    const body = new TextDecoder().decode(a.body);
    if (body !== expect.body) out.push(`body ${JSON.stringify(body.slice(0, 40))} instead of ${JSON.stringify(expect.body)}`);
    if (a.fields["date"] === undefined) out.push("no date field");
  }
  return out;
}
