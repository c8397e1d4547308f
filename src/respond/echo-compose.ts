/**
 * Who answers, composed once at start from issue 18's features: the echo path first, then
 * `others` (the steer responders, src/respond/), and around them all the counting responder
 * when metrics are on. Null when every feature is off: the core's prebuilt fast path.
 */
import type { Config } from "../config.ts";
import type { ResponseCache } from "../http/response.ts";
import type { ConnectionInfo, Responder, RequestView } from "../http/responder.ts";
import { countingResponder } from "../metrics/counting.ts";
import type { WorkerCounters } from "../metrics/counters.ts";
import { echoResponder } from "./echo.ts";
import type { Identity } from "./echo-identity.ts";

interface Chosen {
  readonly by: Responder;
  readonly plan: object;
}

/** The first responder whose `plan` is not null answers. */
export function firstOf(...responders: Responder[]): Responder<Chosen> | null {
  if (responders.length === 0) return null;
  return {
    plan(request: RequestView, conn: ConnectionInfo): Chosen | null {
      for (const by of responders) {
        const plan = by.plan(request, conn);
        if (plan !== null) return { by, plan };
      }
      return null;
    },
    answer(chosen, persist, isHead, bodyLength) {
      return chosen.by.answer(chosen.plan, persist, isHead, bodyLength);
    },
  };
}

/**
 * `others` with issue 18's features around it. `sick` (the admin's run-time state) answers
 * everything 500, echo included: then echo is left out.
 */
export function watchResponder(
  config: Pick<Config, "echoPath">,
  responses: ResponseCache,
  identity: Identity,
  counters: WorkerCounters | null,
  others: Responder | null,
  state = "ready",
): Responder | null {
  const list: Responder[] = [];
  if (config.echoPath !== null && state !== "sick") list.push(echoResponder(config.echoPath, responses, identity) as Responder);
  if (others !== null) list.push(others);
  const inner = list.length <= 1 ? (list[0] ?? null) : (firstOf(...list) as Responder | null);
  return counters === null ? inner : (countingResponder(counters, responses, inner) as Responder);
}
