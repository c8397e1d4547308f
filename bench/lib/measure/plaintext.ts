/**
 * TechEmpower's plaintext checks on a probed response: status 200, a
 * Server and a Date field, Content-Type text/plain, the exact body, and a
 * Date that changes between two requests 3 s apart (a server must not
 * freeze the Date it caches: RFC 9110 §6.6.1). Pure.
 */
import type { ProbeResult } from "../servers/probe.ts";

/** Seconds between the two requests of the Date check. */
export const DATE_GAP_S = 3;

/** Value of a header field in a response head (first one, trimmed), case-insensitive. */
export function headerField(head: string, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === lower) return line.slice(colon + 1).trim();
  }
  return undefined;
}

/** What the first response (and the one 3 s later, when given) gets wrong; empty when all checks pass. */
export function plaintextProblems(first: ProbeResult, later: ProbeResult | undefined, body: string): string[] {
  const out: string[] = [];
  if (first.status !== 200) out.push(`status ${first.status}, expected 200`);
  if (first.body !== body) out.push(`body ${JSON.stringify(first.body.slice(0, 40))}, expected ${JSON.stringify(body)}`);
  if (!headerField(first.head, "server")) out.push("no Server field");
  const date = headerField(first.head, "date");
  if (!date) out.push("no Date field");
  else if (Number.isNaN(Date.parse(date))) out.push(`Date ${JSON.stringify(date)} is not an HTTP date`);
  const type = headerField(first.head, "content-type");
  if (!type || !/^text\/plain\b/i.test(type)) out.push(`Content-Type ${JSON.stringify(type ?? "")}, expected text/plain`);
  if (later && date) {
    const next = headerField(later.head, "date");
    if (next === date) out.push(`Date did not change in ${DATE_GAP_S} s (${date})`);
  }
  return out;
}
