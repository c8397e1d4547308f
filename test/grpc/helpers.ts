/** Shared by the gRPC unit tests: hex in and out, and request fields from a list. */
import type { RequestFields } from "../../src/contract/exchange.ts";
import type { Identity } from "../../src/respond/echo-identity.ts";

/** A worker's identity with one default (pod, node) left unset. */
export const IDENTITY: Identity = { hostname: "h", pod: null, namespace: "ns", node: null, pid: 300, runtime: "bun", io: "syscall" };

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  return Uint8Array.from({ length: clean.length / 2 }, (_, i) => Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16));
}

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Fields as an HTTP/2 request carries them: lower-case names, in order; `get` joins repeats with ", ". */
export function fieldsOf(list: ReadonlyArray<readonly [string, string]>): RequestFields {
  return {
    get(name) {
      const values = list.filter(([n]) => n === name).map(([, v]) => v);
      return values.length === 0 ? null : values.join(", ");
    },
    forEach(visit) {
      for (const [n, v] of list) visit(n, v);
    },
  };
}
