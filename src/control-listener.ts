/**
 * A small control-plane listener (the admin API, the metrics endpoint): the runtime's own socket
 * back end and a small HTTP core of its own, whose prebuilt answer is a 404 naming the paths it
 * serves and whose responder answers those paths. Built from the serving pieces rather than
 * node:net, so it has the same parser, limits and timeouts as the serving port.
 */
import { loadBackend } from "./backends.ts";
import { DEFAULTS } from "./config.ts";
import type { ExchangeRequest, Reply, Responder } from "./contract/exchange.ts";
import { BodyKind } from "./contract/exchange.ts";
import type { RuntimeName } from "./contract/runtime.ts";
import { createHttpCore } from "./http/server.ts";

export interface ControlListener {
  readonly port: number;
  stop(): void;
}

export interface ControlListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly runtime: RuntimeName;
  /** The 404's body: which paths this listener serves. */
  readonly notFound: string;
  warn(line: string): void;
}

/** Serves `responder` on host:port; a request it does not plan gets the 404. */
export async function startControlListener<P extends object>(options: ControlListenerOptions, responder: Responder<P>): Promise<ControlListener> {
  const core = createHttpCore({ ...DEFAULTS, status: 404, body: options.notFound }, responder as unknown as Responder);
  const serve = await loadBackend("socket", options.runtime);
  const served = await serve(
    { host: options.host, port: options.port, backlog: 64, reusePort: false, eager: true, runtime: options.runtime, tls: null, warn: options.warn },
    core,
  );
  return {
    port: served.port,
    stop() {
      served.stop();
      served.close();
      core.closeAll();
    },
  };
}

/** The path of a request's target (up to a `?`): control requests are few, so the string is fine. */
export function pathOf(request: ExchangeRequest): string {
  const target = request.target;
  const q = target.indexOf("?");
  return q < 0 ? target : target.slice(0, q);
}

/** A control answer: `text` of `contentType` with `fields` (whole pairs), never cached by anyone on the way. */
export function controlReply(status: number, contentType: string, text: string, fields: ReadonlyArray<readonly [string, string]> = []): Reply {
  return {
    status,
    fields: [["Cache-Control", "no-store"], ...fields],
    body: { kind: BodyKind.BYTES, bytes: new TextEncoder().encode(text), contentType },
    trailers: null,
    delayMs: 0,
    close: false,
    reset: false,
  };
}
