/**
 * A small control-plane listener (the admin API, the metrics endpoint): the runtime's own socket
 * back end and a small HTTP core of its own, whose prebuilt answer is a 404 naming the paths it
 * serves and whose responder answers those paths. Built from the serving pieces rather than
 * node:net, so it has the same parser, limits and timeouts as the serving port.
 */
import type { Responder } from "./http/responder.ts";
import type { ResponseCache } from "./http/response.ts";
import { createHttpCore } from "./http/server.ts";
import { DEFAULTS } from "./config.ts";
import type { RuntimeName } from "./runtime.ts";
import { loadBackend } from "./worker.ts";

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

/** Serves `responder` (made with the listener's own prebuilt answers) on host:port. */
export async function startControlListener<P extends object>(
  options: ControlListenerOptions,
  responder: (responses: ResponseCache) => Responder<P>,
): Promise<ControlListener> {
  const core = createHttpCore({ ...DEFAULTS, status: 404, body: options.notFound });
  core.setResponder(responder(core.responses) as unknown as Responder);
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
