/**
 * What one parser made of one input: the requests it accepted (where each
 * head and each whole message ends, as byte offsets into the input) and how
 * the input ended for it. Both sides of the differential fuzzer produce one.
 */
export const End = {
  /** Every byte used, at a request boundary. */
  COMPLETE: "complete",
  /** The last request is not complete yet (the parser waits for more bytes). */
  INCOMPLETE: "incomplete",
  /** The input was refused at `at`: an error status (hello-server) or a parse error (llhttp). */
  REFUSED: "refused",
  /** The connection ends after the last accepted request (Connection: close, HTTP/1.0). */
  CLOSED: "closed",
  /** llhttp only: an Upgrade/CONNECT request; the bytes after it are not HTTP to llhttp. */
  UPGRADE: "upgrade",
} as const;
export type EndKind = (typeof End)[keyof typeof End];

export interface Verdict {
  /** [head end, message end] per accepted request, in order. */
  m: Array<[number, number]>;
  end: EndKind;
  /** Where the input was refused (the offending byte's offset), for REFUSED. */
  at?: number;
  /** llhttp's error code (HPE_...) or hello-server's error kind (ParseError key). */
  code?: string;
  reason?: string;
  /** INCOMPLETE with the unfinished request's head complete: where that head ended. */
  head?: number;
  /** hello-server: the status it answered the refusal with. */
  status?: number;
}

export function describe(v: Verdict): string {
  const msgs = v.m.map(([h, e]) => (h === e ? `${e}` : `${h}+${e - h}`)).join(",");
  const extra = v.end === End.REFUSED ? `@${v.at} ${v.code}${v.status ? ` ${v.status}` : ""}${v.reason ? ` (${v.reason})` : ""}` : v.head !== undefined ? ` head@${v.head}` : "";
  return `[${msgs}] ${v.end}${extra}`;
}
