/**
 * How a connection becomes HTTP/2 under --http2 on|off|only, and what every HTTP/2 connection of
 * a worker shares. Three ways in (RFC 9113 §3), each a hook of the core's ProtocolSwitch
 * (src/contract/session.ts):
 *   - prior knowledge: the connection opens with the client preface (§3.3) → `h2Preface`;
 *   - h2c Upgrade (RFC 7540 §3.2; RFC 9113 §3.1 deprecates it, curl --http2 and nghttp -u still
 *     send it) → the `h2c` branch of upgrade.ts;
 *   - TLS whose ALPN chose `h2` (§3.2) → `firstRead`, which `only` also uses for every
 *     connection, so that HTTP/1.1 meets the session's preface check and is refused (§3.4).
 * `off`: no hook at all, and the core is HTTP/1.1 exactly as before.
 */
import type { Config } from "../config.ts";
import type { ExchangeRequest, Responder } from "../contract/exchange.ts";
import type { ProtocolSwitch, Session, Upgrade } from "../contract/session.ts";
import type { Transport } from "../contract/socket.ts";
import type { Due } from "../http/deferred.ts";
import { Http2Session } from "../http2/session.ts";
import { DEFAULT_HTTP2_OPTIONS, type Http2Options, type Http2Request } from "../http2/types.ts";
import { GrpcDispatcher, type GrpcConfig } from "../grpc/service.ts";
import type { HealthState } from "../grpc/health.ts";
import type { Identity } from "../respond/echo-identity.ts";
import type { Random } from "../respond/random.ts";
import { H2Answers } from "./h2-answers.ts";
import { GrpcStreams, type GrpcCallLog } from "./h2-grpc.ts";
import { HelloHttp2App, type H2Host } from "./h2.ts";

/** The flags HTTP/2 reads. */
export type H2Config = Pick<
  Config,
  "http2" | "http2MaxStreams" | "maxHeaderSize" | "maxBodySize" | "headerTimeout" | "idleTimeout" | "healthPath" | "echoPath" | "status" | "body" | "contentType" | "headers" | "tlsCert"
> &
  GrpcConfig & { readonly grpcServices: readonly string[] };

/** What gRPC needs of the worker: who answers (Echo) and the worker's seeded random (the faults' own). */
export interface H2Worker {
  readonly identity: Identity;
  readonly random: Random;
  /** Counts gRPC calls by grpc-status (--metrics-port); absent or null = not counted. */
  readonly grpcCalls?: ((code: number) => void) | null;
  /** One access-log line per gRPC call (--access-log); absent or null = none. */
  readonly grpcLog?: GrpcCallLog | null;
}

/** What HTTP/2 needs of the core (src/http/server.ts HttpCore): its clock and its timer heap. */
export interface H2Core {
  readonly now: number;
  defer(due: Due): void;
}

/** The ALPN protocol ids (RFC 7301; RFC 9113 §3.2), in the server's order of preference. */
export const ALPN_H2 = "h2";

/** What ALPN offers under `mode`: `h2` preferred with `http/1.1` still offered; `h2` alone with `only`. */
export function alpnProtocols(mode: Config["http2"]): string[] {
  return mode === "off" ? ["http/1.1"] : mode === "only" ? [ALPN_H2] : [ALPN_H2, "http/1.1"];
}

/** RFC 7540 §3.2: the 101 that switches; its fields are the protocol's own. */
const SWITCHING = Uint8Array.from("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n", (c) => c.charCodeAt(0));

/** RFC 9113 §8.2.2: fields of the HTTP/1.1 connection, not of the request; not carried onto stream 1. */
const HOP_BY_HOP = new Set(["connection", "upgrade", "http2-settings", "keep-alive", "proxy-connection", "transfer-encoding", "te", "host"]);

/** A session as the core keeps it: shutdown reaches it through the core's connection set (Session.onShutdownBegun, onShutdown). */
class HelloSession extends Http2Session {
  constructor(
    transport: Transport,
    options: Http2Options,
    private readonly app: HelloHttp2App,
    clock: { readonly now: number },
    upgrade?: { settings: Uint8Array; request: Http2Request },
  ) {
    super(transport, options, app, clock, upgrade);
    app.attach(this);
  }

  /** --shutdown-delay began: §6.8's first GOAWAY alone, so clients open their next connections elsewhere while their streams are served. */
  onShutdownBegun(): void {
    this.goAway();
  }

  /** The drain ends the connection's Watch streams first: the session waits for every open stream. */
  override onShutdown(graceMs: number): void {
    this.app.endWatches();
    super.onShutdown(graceMs);
  }
}

export class Http2Service {
  readonly options: Http2Options;
  private readonly host: H2Host & { responder: Responder | null };
  private readonly answers: H2Answers;
  /** The worker's gRPC (health, Echo), or null. */
  readonly grpc: GrpcStreams | null;

  constructor(
    private readonly config: H2Config,
    private readonly core: H2Core,
    responder: Responder | null,
    servedBy: string | null,
    /** gRPC's Echo identity and fault random; null = no gRPC (every POST stays HTTP). */
    worker: H2Worker | null = null,
  ) {
    this.answers = new H2Answers(config, servedBy, core);
    const defer = (due: Due): void => core.defer(due);
    this.grpc =
      worker === null
        ? null
        : new GrpcStreams(
            { dispatcher: new GrpcDispatcher(config, config.grpcServices, worker.identity), random: worker.random, servedBy, counted: worker.grpcCalls ?? null, logged: worker.grpcLog ?? null },
            this.answers,
            defer,
          );
    this.host = { answers: this.answers, healthPath: config.healthPath, responder, grpc: this.grpc, defer };
    this.options = {
      ...DEFAULT_HTTP2_OPTIONS,
      maxConcurrentStreams: config.http2MaxStreams,
      maxHeaderListSize: config.maxHeaderSize,
      maxBodySize: config.maxBodySize,
      // Only echo and gRPC read a request's body; every other answer counts it and drops it.
      // With gRPC on, a plain POST's body is kept too (the session decides before the app sees the stream).
      collectBody: config.echoPath !== null || worker !== null,
      headerTimeoutMs: config.headerTimeout * 1000,
      idleTimeoutMs: config.idleTimeout * 1000,
    };
  }

  /** A run-time state change composed a new responder. */
  setResponder(responder: Responder | null): void {
    this.host.responder = responder;
  }

  setUnready(unready: boolean): void {
    this.answers.unready = unready;
  }

  /** The run-time state, for gRPC health (Check, Watch) and Echo's `sick`. */
  setState(state: HealthState): void {
    this.grpc?.setState(state);
  }

  /**
   * Shutdown has begun (--shutdown-delay, or the drain): the health path answers 503 and gRPC
   * health says NOT_SERVING. The sessions hear it from the core, which holds them all: §6.8's
   * first GOAWAY at the delay's start (HelloSession.onShutdownBegun, from the core's
   * beginShutdown), the two-step GOAWAY at the drain (Session.onShutdown).
   */
  beginShutdown(): void {
    this.answers.stopping = true;
    this.grpc?.setState("shutdown");
  }

  /** A new session on `transport`, from its first byte, or for an upgraded request (stream 1). */
  open(transport: Transport, upgrade?: { settings: Uint8Array; request: Http2Request }): Http2Session {
    return new HelloSession(transport, this.options, new HelloHttp2App(this.host, transport), this.core, upgrade);
  }

  /** The core's hooks for this mode; `{}` for `off`. The h2c branch is {@link h2c}, which upgrade.ts takes. */
  switches(): ProtocolSwitch {
    const mode = this.config.http2;
    if (mode === "off") return {};
    // §3.4: with `only` every connection is HTTP/2, so its session sees (and refuses) an HTTP/1.1 request as a bad preface.
    if (mode === "only") return { firstRead: (transport) => this.open(transport) };
    const h2Preface = (transport: Transport): Session => this.open(transport);
    if (this.config.tlsCert === null) return { h2Preface };
    return { h2Preface, firstRead: (transport) => (transport.alpnProtocol?.() === ALPN_H2 ? this.open(transport) : null) };
  }

  /** upgrade.ts's h2c branch, or null when h2c Upgrade is not offered (`off`; `only` never reads an HTTP/1.1 request). */
  h2c(): ((request: ExchangeRequest) => Upgrade | null) | null {
    if (this.config.http2 !== "on") return null;
    return (request) => {
      // RFC 7540 §3.2-§3.3: h2c is cleartext; over TLS only ALPN may choose HTTP/2.
      if (request.tls) return null;
      const settings = decodeSettings(request.fields);
      if (settings === null) return null;
      const upgraded = upgradedRequest(request);
      return { response: SWITCHING, open: (transport) => this.open(transport, { settings, request: upgraded }) };
    };
  }
}

/**
 * RFC 7540 §3.2.1: exactly one HTTP2-Settings field, the base64url SETTINGS payload (no padding);
 * a request without it, with two, or whose payload is not whole settings is not upgraded (answered
 * as HTTP/1.1, which RFC 9110 §7.8 allows).
 */
export function decodeSettings(fields: ExchangeRequest["fields"]): Uint8Array | null {
  let value: string | null = null;
  let count = 0;
  fields.forEach((name, v) => {
    if (name.toLowerCase() === "http2-settings") {
      count++;
      value = v;
    }
  });
  if (count !== 1) return null;
  const text: string = value!;
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const binary = atob(b64);
  // §6.5: a SETTINGS payload is whole 6-octet settings.
  if (binary.length % 6 !== 0) return null;
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The HTTP/1.1 request as stream 1's (RFC 7540 §3.2: it is answered on stream 1, half-closed remote; the core upgrades only bodiless requests). */
function upgradedRequest(request: ExchangeRequest): Http2Request {
  const fields: string[] = [];
  request.fields.forEach((name, value) => {
    const lower = name.toLowerCase();
    if (!HOP_BY_HOP.has(lower)) fields.push(lower, value);
  });
  return {
    streamId: 1,
    method: request.method,
    scheme: "http",
    authority: request.fields.get("host") ?? "",
    path: request.target,
    protocol: "h2",
    fields,
    bodyLength: 0,
    body: null,
  };
}
