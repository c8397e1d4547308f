/**
 * What the steering stages (src/respond/) decide about one request, before its body is read:
 * one small object per steered request, none for a request no stage touches (that one takes
 * the prebuilt answer).
 */
import type { ExchangeRequest } from "../contract/exchange.ts";

export interface SteerPlan {
  /** The status to answer with; 0 = the configured one. */
  status: number;
  /** Hold the answer this long (ms, may be fractional); 0 = answer at once. */
  delayMs: number;
  /** A body of this many pattern bytes (`size=`); -1 = the configured body. */
  size: number;
  /** Close the connection after the answer (`close=1`). */
  close: boolean;
  /** Reset the connection instead of answering (--reset-rate). */
  reset: boolean;
  /** Answer with `status` and its reason phrase as the body (an injected failure, a sick server). */
  reason: boolean;
  /** Refuse the request with 400 and this one-line reason (a malformed or over-cap control value); null = not refused. */
  error: string | null;
}

export function emptyPlan(): SteerPlan {
  return { status: 0, delayMs: 0, size: -1, close: false, reset: false, reason: false, error: null };
}

/**
 * One steering stage: reads what it needs of the request and returns the plan, changed (creating
 * it from `emptyPlan()` when `plan` is null), or `plan` unchanged when it has nothing to say.
 * Stages run in the order src/respond/index.ts lists them; a later one overrides an earlier one.
 */
export type Stage = (request: ExchangeRequest, plan: SteerPlan | null) => SteerPlan | null;
