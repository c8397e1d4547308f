/** Turns a {@link SteerPlan} into its {@link Reply}: what to answer, framed by the protocol that asked. */
import { BodyKind, type Reply } from "../contract/exchange.ts";
import type { Pattern } from "./pattern.ts";
import type { SteerPlan } from "./plan.ts";

const PATTERN_TYPE = "text/plain; charset=utf-8";
const CONFIGURED = { kind: BodyKind.CONFIGURED } as const;
const REASON = { kind: BodyKind.REASON, text: null } as const;

/**
 * The reply of a steered request. Pure in `plan` (every random choice was made when planning):
 * a protocol asks again when a deferred answer is due, to send the Date and Connection of then.
 * `configuredFields`: the -H fields of the configured answer, which a `size=` body keeps (it is
 * the configured answer with another content); null when there are none.
 */
export function replyOf(plan: SteerPlan, pattern: Pattern, configuredFields: Reply["fields"]): Reply {
  if (plan.reset) return { status: 0, fields: null, body: CONFIGURED, trailers: null, delayMs: plan.delayMs, close: true, reset: true };
  if (plan.error !== null) {
    // RFC 9110 §15.5.1. Closing is not required after a well-framed request, but it is the plain thing for a refusal.
    return { status: 400, fields: null, body: { kind: BodyKind.REASON, text: `${plan.error}\n` }, trailers: null, delayMs: 0, close: true, reset: false };
  }
  if (plan.reason) return { status: plan.status, fields: null, body: REASON, trailers: null, delayMs: plan.delayMs, close: plan.close, reset: false };
  if (plan.size >= 0) {
    const body = { kind: BodyKind.BYTES, bytes: pattern.slice(plan.size), contentType: PATTERN_TYPE } as const;
    return { status: plan.status, fields: configuredFields, body, trailers: null, delayMs: plan.delayMs, close: plan.close, reset: false };
  }
  return { status: plan.status, fields: null, body: CONFIGURED, trailers: null, delayMs: plan.delayMs, close: plan.close, reset: false };
}
