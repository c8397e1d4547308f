/** Turns a {@link SteerPlan} into the bytes of its answer (responder.ts's {@link Answer}). */
import { Persist, type ResponseCache } from "../http/response.ts";
import type { Answer } from "../http/responder.ts";
import type { Pattern } from "./pattern.ts";
import type { SteerPlan } from "./plan.ts";

const NOTHING = new Uint8Array(0);
const PATTERN_TYPE = "text/plain; charset=utf-8";

/** Persist the plan asks for: `close=1` closes whatever the request said. */
function persistOf(plan: SteerPlan, persist: number): number {
  return plan.close || plan.error !== null ? Persist.CLOSE : persist;
}

/**
 * The answer of a steered request. Pure in `plan` (every random choice was made when planning):
 * the connection asks again when a deferred answer is due, to send the Date and Connection of then.
 */
export function answerOf(plan: SteerPlan, persist: number, isHead: boolean, responses: ResponseCache, pattern: Pattern, configuredStatus: number): Answer {
  if (plan.reset) return { head: NOTHING, body: null, delayMs: plan.delayMs, close: true, reset: true };
  const p = persistOf(plan, persist);
  const close = p === Persist.CLOSE;
  if (plan.error !== null) {
    // RFC 9110 §15.5.1. Closing is not required after a well-framed request, but it is the plain thing for a refusal.
    return { head: responses.reasonAnswer(400, p, isHead, `${plan.error}\n`), body: null, delayMs: 0, close, reset: false };
  }
  const status = plan.status === 0 ? configuredStatus : plan.status;
  let head: Uint8Array;
  let body: Uint8Array | null = null;
  if (plan.reason) head = responses.reasonAnswer(status, p, isHead);
  else if (plan.body !== null) {
    head = responses.headFor(status, plan.contentType ?? PATTERN_TYPE, plan.body, p);
    if (!isHead && status !== 204 && status !== 304) body = plan.body;
  } else if (plan.size >= 0) {
    const bytes = pattern.slice(plan.size);
    head = responses.headFor(status, PATTERN_TYPE, bytes, p);
    if (!isHead && status !== 204 && status !== 304 && bytes.length > 0) body = bytes;
  } else if (plan.status !== 0) head = responses.withStatus(status, p, isHead);
  else head = responses.get(p, isHead);
  return { head, body, delayMs: plan.delayMs, close, reset: false };
}
