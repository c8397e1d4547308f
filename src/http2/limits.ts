/**
 * The abuse budgets of one connection, each named after the attack it stops.
 * The numbers are Http2Options (defaults and their reasons in constants.ts);
 * this file holds what each budget counts and when it runs out.
 */
import { TokenBucket } from "./budget.ts";
import type { Output } from "./output.ts";
import type { Http2Options } from "./types.ts";

/**
 * Counts a SETTINGS or PING acknowledgement the peer made us owe; false past the cap
 * (CVE-2019-9512, -9515). Owed means produced since the transport last took everything, so
 * the count spans one read at least: nghttp2 counts the same way (obq_flood_counter_ grows
 * while nghttp2_session_mem_recv runs over a whole read and shrinks only as frames are sent),
 * and a thousand acknowledgements in one read is no client's honest traffic.
 */
export function oweAck(out: Output, options: Http2Options): boolean {
  return ++out.controlOwed <= options.maxQueuedControl;
}

/**
 * The reset budget of one connection, made at its first reset: a bucket starts full and refilling
 * never passes `burst`, so one made then holds what one made with the connection would, and an
 * idle connection holds none. Each `take` is one stream reset, the client's or one it provoked;
 * false when the budget is spent.
 * CVE-2023-44487 (Rapid Reset): every RST_STREAM the client sends counts, open stream or not.
 * CVE-2025-8671 (MadeYouReset): so does every reset a bad frame of the client's makes us send,
 * REFUSED_STREAM included: nghttp2 1.66 counts its refusals past the un-acknowledged
 * SETTINGS_MAX_CONCURRENT_STREAMS (session_handle_invalid_stream2) in its glitch budget, and a
 * client honouring our SETTINGS meets at most one first flight of them, far below the burst.
 * Not counted: RST_STREAM(NO_ERROR) after an early 413/431, and the resets the app answers
 * with (session.ts appReset): neither leaves work of ours going on behind it.
 */
export function resetBudget(options: Http2Options, now: number): TokenBucket {
  return new TokenBucket(options.resetBudget.burst, options.resetBudget.perSecond, now);
}
