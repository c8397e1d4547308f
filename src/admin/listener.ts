/**
 * The admin listener (--admin-port, on --admin-host: loopback unless asked, since it changes what
 * the server answers): POST /ready, /unready, /sick switch the run-time state of every worker at
 * once; GET /state reads it. Each answers `{"state":"…"}`. Nothing on the serving port can change
 * the state. Built from the project's own pieces, like the metrics listener: the runtime's socket
 * back end and a small HTTP core whose responder is the table below; any other path is the core's
 * prebuilt 404. It runs in the supervisor (which owns the state, so a replaced worker gets it too)
 * or, with --workers 1, in the one serving process.
 */
import type { Config } from "../config.ts";
import { hostPort } from "../contract/address.ts";
import type { Reply, Responder } from "../contract/exchange.ts";
import type { RuntimeName } from "../contract/runtime.ts";
import { controlReply, pathOf, startControlListener, type ControlListener } from "../control-listener.ts";
import { RUN_STATES, type RunState } from "../respond/state.ts";
import { lifecycle } from "../spawner/log.ts";

/** Who owns the state: the supervisor, or the single serving process. */
export interface StateOwner {
  get(): RunState;
  set(state: RunState): void;
  /** Workers that have not confirmed the state yet (the supervisor's); absent = always in effect at once. */
  pending?(): number;
}

export type AdminListener = ControlListener;

/** A path the listener knows: a state to switch to (POST), or `state` to read it (GET/HEAD). */
type Action = RunState | "state";
const ACTIONS: readonly Action[] = [...RUN_STATES, "state"];
const JSON_TYPE = "application/json";

/** Which action the path names, or null. */
function actionOf(path: string): Action | null {
  const i = ACTIONS.findIndex((a) => path === `/${a}`);
  return i === -1 ? null : ACTIONS[i]!;
}

interface AdminPlan {
  readonly action: Action;
  readonly method: string;
}

export async function startAdminListener(
  config: Pick<Config, "adminHost" | "adminPort" | "quiet">,
  owner: StateOwner,
  options: { runtime: RuntimeName; warn(line: string): void },
): Promise<AdminListener> {
  const listener = await startControlListener(
    { host: config.adminHost, port: config.adminPort!, runtime: options.runtime, warn: options.warn, notFound: `not found: POST /ready /unready /sick, GET /state\n` },
    adminResponder(owner),
  );
  lifecycle(config.quiet, { event: "admin_listening", message: `admin on http://${hostPort(config.adminHost, listener.port)}` });
  return listener;
}

/** The table of the admin API: an action's path with its method, and the state as JSON (never cached: a stale state would mislead). */
function adminResponder(owner: StateOwner): Responder<AdminPlan> {
  return {
    plan: (request) => {
      const action = actionOf(pathOf(request));
      return action === null ? null : { action, method: request.method };
    },
    answer({ action, method }): Reply {
      const reads = action === "state";
      const allowed = reads ? method === "GET" || method === "HEAD" : method === "POST";
      if (!allowed) {
        return controlReply(405, "text/plain; charset=utf-8", `method not allowed: ${reads ? "GET" : "POST"} /${action}\n`, [["Allow", reads ? "GET, HEAD" : "POST"]]);
      }
      if (!reads && owner.get() !== action) owner.set(action);
      // `pending`: workers still to confirm; the CLI client polls GET /state until it is gone.
      const pending = owner.pending?.() ?? 0;
      return controlReply(200, JSON_TYPE, `${JSON.stringify(pending > 0 ? { state: owner.get(), pending } : { state: owner.get() })}\n`);
    },
  };
}
