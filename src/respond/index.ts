/**
 * Who answers, composed in one place from the Config and the run-time state (STYLE.md practice
 * 10): src/worker.ts calls {@link composeResponder} at start and on every state change and hands
 * the result to the core. With every feature off it is null, and the core takes the prebuilt
 * answer after one null check (the fast path).
 *
 * The composition, outside in:
 *   - counting (--metrics-port) around everything, so every answer is counted;
 *   - echo (--echo-path) answers its own path first (left out while `sick`);
 *   - the steering stages, an ordered list (see {@link stagesFor}) where each stage reads the
 *     request and returns the plan (plan.ts), a later stage overriding an earlier one:
 *       1. faults   (--reset-rate, --fail-rate, --delay): random, configured at start;
 *       2. control  (--request-control: status= delay= size= close=): explicit, so it wins.
 * Run-time state sits above the list: `sick` answers every request 500 without asking it;
 * `unready` only changes the health path (HttpCore.setUnready), which no responder sees.
 * Every responder here reads the protocol-neutral request and returns a Reply
 * (src/contract/exchange.ts): HTTP/1.1 and HTTP/2 frame the same decision.
 */
import type { Config } from "../config.ts";
import type { Reply, Responder } from "../contract/exchange.ts";
import { countingResponder } from "../metrics/counting.ts";
import { FAULT_KINDS, type WorkerCounters } from "../metrics/counters.ts";
import { replyOf } from "./answer.ts";
import { controlStage } from "./control.ts";
import { echoResponder } from "./echo.ts";
import type { Identity } from "./echo-identity.ts";
import { faultsOn, faultStage } from "./faults.ts";
import { Pattern } from "./pattern.ts";
import type { Stage, SteerPlan } from "./plan.ts";
import { seededRandom, workerSeed, type Random } from "./random.ts";
import { SICK_PLAN, type RunState } from "./state.ts";

export type { RunState } from "./state.ts";
export { RUN_STATES, isRunState } from "./state.ts";

/** What one worker's responders keep across compositions: a state change must not restart the random sequence. */
export interface Steering {
  readonly config: Config;
  readonly random: Random;
  readonly pattern: Pattern;
  /**
   * Faults injected, indexed like FAULT_KINDS, when --metrics-port does not count them: the
   * access log tells which fault a request drew by the tally that moved during its plan.
   */
  readonly faults: Float64Array;
}

/** Per worker: `index` is the worker's slot in the supervisor (its seed is workerSeed(--seed, index)). */
export function createSteering(config: Config, index = 0): Steering {
  return { config, random: seededRandom(workerSeed(config.seed, index)), pattern: new Pattern(config.maxSize), faults: new Float64Array(FAULT_KINDS.length) };
}

/** The stages configured, in order; empty when every feature is off. */
export function stagesFor(s: Steering, counters: WorkerCounters | null): Stage[] {
  const c = s.config;
  const stages: Stage[] = [];
  if (faultsOn(c)) stages.push(faultStage(c, s.random, counters ?? s));
  if (c.requestControl) stages.push(controlStage(c));
  return stages;
}

/**
 * The responder for `state`, or null when nothing is on (the prebuilt fast path). `counters`:
 * --metrics-port's, or null; `identity`: who answers, for echo.
 */
export function composeResponder(s: Steering, state: RunState, counters: WorkerCounters | null, identity: Identity): Responder | null {
  const list: Responder[] = [];
  if (s.config.echoPath !== null && state !== "sick") list.push(echoResponder(s.config.echoPath, identity, s.config.echoMaxBody) as Responder);
  const steer = steeringResponder(s, state, counters);
  if (steer !== null) list.push(steer as Responder);
  const inner = list.length <= 1 ? (list[0] ?? null) : (firstOf(list) as Responder);
  return counters === null ? inner : (countingResponder(counters, s.config.status, inner) as Responder);
}

/** The steering stages as one responder; null when none is configured and the state is not `sick`. */
function steeringResponder(s: Steering, state: RunState, counters: WorkerCounters | null): Responder<SteerPlan> | null {
  const { pattern } = s;
  const headers = s.config.headers.length === 0 ? null : s.config.headers;
  const answer = (plan: SteerPlan): Reply => replyOf(plan, pattern, headers);
  if (state === "sick") return { plan: () => SICK_PLAN, answer };
  const stages = stagesFor(s, counters);
  if (stages.length === 0) return null;
  if (stages.length === 1) {
    const only = stages[0]!;
    return { plan: (request) => only(request, null), answer };
  }
  return {
    plan(request) {
      let plan: SteerPlan | null = null;
      for (let i = 0; i < stages.length; i++) plan = stages[i]!(request, plan);
      return plan;
    },
    answer,
  };
}

interface Chosen {
  readonly by: Responder;
  readonly plan: object;
}

/** The first responder whose `plan` is not null answers. */
export function firstOf(responders: readonly Responder[]): Responder<Chosen> {
  return {
    plan(request) {
      for (const by of responders) {
        const plan = by.plan(request);
        if (plan !== null) return { by, plan };
      }
      return null;
    },
    wantsBody: (chosen) => chosen.by.wantsBody?.(chosen.plan) === true,
    answer: (chosen, finished) => chosen.by.answer(chosen.plan, finished),
  };
}
