/**
 * The steering responder: the stages that decide a request's answer from its head (STYLE.md
 * practice 10), composed once from the Config and the run-time state. With everything off it is
 * null, and the connection takes the prebuilt answer after one null check (the fast path).
 *
 * Composition point — the ordered list in {@link stagesFor}: each stage reads the request and
 * returns the plan (src/respond/plan.ts), a later stage overriding an earlier one:
 *   1. faults   (--reset-rate, --fail-rate, --delay): random, configured at start;
 *   2. control  (--request-control: status= delay= size= close=): explicit, so it wins.
 * A new stage that shapes the configured answer goes in this list; it may set `plan.body` and
 * `contentType` at plan time (the head's bytes are gone by answer time).
 * Run-time state sits above the list: `sick` answers every request 500 without asking it;
 * `unready` only changes the health path (ResponseCache.health), which no responder sees.
 * Issue 18 wraps what this composes (HttpCore's CoreWatch.wrap, src/respond/echo-compose.ts, at
 * start and on every state change): the echo path answered first by its own responder, and the
 * counting responder (metrics) around everything.
 */
import type { Config } from "../config.ts";
import type { ResponseCache } from "../http/response.ts";
import type { Responder } from "../http/responder.ts";
import { answerOf } from "./answer.ts";
import { controlStage } from "./control.ts";
import { faultsOn, faultStage } from "./faults.ts";
import { Pattern } from "./pattern.ts";
import type { Stage, SteerPlan } from "./plan.ts";
import { seededRandom, workerSeed, type Random } from "./random.ts";
import { SICK_PLAN, type RunState } from "./state.ts";

export type { RunState } from "./state.ts";
export { RUN_STATES, isRunState } from "./state.ts";

/** What one worker's steering keeps across re-compositions (a state change must not restart the random sequence). */
export interface Steering {
  readonly config: Config;
  readonly responses: ResponseCache;
  readonly random: Random;
  readonly pattern: Pattern;
}

/** Per worker: `index` is the worker's slot (its seed is seed + index, random.ts). */
export function createSteering(config: Config, responses: ResponseCache, index = 0): Steering {
  return { config, responses, random: seededRandom(workerSeed(config.seed, index)), pattern: new Pattern(config.maxSize) };
}

/** The stages configured, in order; empty when every feature is off. */
export function stagesFor(s: Steering): Stage[] {
  const c = s.config;
  const stages: Stage[] = [];
  if (faultsOn(c)) stages.push(faultStage(c, s.random));
  if (c.requestControl) stages.push(controlStage(c));
  return stages;
}

/** The responder for `state`, or null when nothing steers (the prebuilt fast path). */
export function composeResponder(s: Steering, state: RunState): Responder<SteerPlan> | null {
  const { responses, pattern } = s;
  const status = s.config.status;
  const answer = (plan: SteerPlan, persist: number, isHead: boolean): ReturnType<Responder<SteerPlan>["answer"]> =>
    answerOf(plan, persist, isHead, responses, pattern, status);
  if (state === "sick") return { plan: () => SICK_PLAN, answer };
  const stages = stagesFor(s);
  if (stages.length === 0) return null;
  if (stages.length === 1) {
    const only = stages[0]!;
    return { plan: (request, conn) => only(request, conn, null), answer };
  }
  return {
    plan(request, conn) {
      let plan: SteerPlan | null = null;
      for (let i = 0; i < stages.length; i++) plan = stages[i]!(request, conn, plan);
      return plan;
    },
    answer,
  };
}
