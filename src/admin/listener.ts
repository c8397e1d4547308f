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
import { startControlListener, type ControlListener } from "../control-listener.ts";
import { Method, targetPathIs } from "../http/head.ts";
import type { Answer, Responder, RequestView } from "../http/responder.ts";
import type { ResponseCache } from "../http/response.ts";
import { RUN_STATES, type RunState } from "../respond/state.ts";
import type { RuntimeName } from "../runtime.ts";
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
const PATHS = ACTIONS.map((a) => new TextEncoder().encode(`/${a}`));
const JSON_TYPE = "application/json";
/** The admin API's answers are never cached (a stale state would mislead). */
const NO_STORE = "Cache-Control: no-store\r\n";

/** Which action the target names (the path, up to a `?`), or null. */
function actionOf(r: RequestView): Action | null {
  const i = PATHS.findIndex((path) => targetPathIs(r.buf, r.head, path));
  return i === -1 ? null : ACTIONS[i]!;
}

interface AdminPlan {
  readonly action: Action;
  readonly method: number;
}

export async function startAdminListener(
  config: Pick<Config, "adminHost" | "adminPort" | "quiet">,
  owner: StateOwner,
  options: { runtime: RuntimeName; warn(line: string): void },
): Promise<AdminListener> {
  const listener = await startControlListener(
    { host: config.adminHost, port: config.adminPort!, runtime: options.runtime, warn: options.warn, notFound: `not found: POST /ready /unready /sick, GET /state\n` },
    (responses) => adminResponder(owner, responses),
  );
  const host = config.adminHost;
  lifecycle(config.quiet, { event: "admin_listening", message: `admin on http://${host.includes(":") ? `[${host}]` : host}:${listener.port}` });
  return listener;
}

/** The table of the admin API: an action's path with its method, and the state as JSON. */
function adminResponder(owner: StateOwner, responses: ResponseCache): Responder<AdminPlan> {
  const encoder = new TextEncoder();
  return {
    plan: (request) => {
      const action = actionOf(request);
      return action === null ? null : { action, method: request.head.method };
    },
    answer({ action, method }, persist, isHead): Answer {
      const reads = action === "state";
      const allowed = reads ? method === Method.GET || method === Method.HEAD : method === Method.POST;
      if (!allowed) {
        const body = encoder.encode(`method not allowed: ${reads ? "GET" : "POST"} /${action}\n`);
        const head = responses.encodeAnswer(405, "text/plain; charset=utf-8", body, persist, isHead, `Allow: ${reads ? "GET, HEAD" : "POST"}\r\n`);
        return { head, body: null, delayMs: 0, close: false, reset: false };
      }
      if (!reads && owner.get() !== action) owner.set(action);
      // `pending`: workers still to confirm; the CLI client polls GET /state until it is gone.
      const pending = owner.pending?.() ?? 0;
      const body = encoder.encode(`${JSON.stringify(pending > 0 ? { state: owner.get(), pending } : { state: owner.get() })}\n`);
      return { head: responses.encodeAnswer(200, JSON_TYPE, body, persist, isHead, NO_STORE), body: null, delayMs: 0, close: false, reset: false };
    },
  };
}
