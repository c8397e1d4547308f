/**
 * Who answers: the facts echo prints and `X-Served-By` carries, read once per worker at start
 * (never per request). The hostname is the pod's name in Kubernetes; POD_NAME, POD_NAMESPACE
 * and NODE_NAME come from the chart's Downward API variables when set.
 */
import { hostname } from "node:os";
import type { IoName } from "../backends.ts";
import type { RuntimeName } from "../contract/runtime.ts";

export interface Identity {
  readonly hostname: string;
  /** POD_NAME / POD_NAMESPACE / NODE_NAME, each null when unset or empty. */
  readonly pod: string | null;
  readonly namespace: string | null;
  readonly node: string | null;
  /** This worker's process id. */
  readonly pid: number;
  readonly runtime: RuntimeName;
  /** The I/O back end serving. */
  readonly io: IoName;
}

function env(name: string, from: Record<string, string | undefined>): string | null {
  const v = from[name];
  return v === undefined || v === "" ? null : v;
}

/** The host's name; Deno without `--allow-sys` refuses to say, and then HOSTNAME, else "unknown", stands in. */
function hostName(from: Record<string, string | undefined>): string {
  try {
    return hostname();
  } catch {
    return env("HOSTNAME", from) ?? "unknown";
  }
}

export function readIdentity(runtime: RuntimeName, io: IoName, from: Record<string, string | undefined> = process.env): Identity {
  return {
    hostname: hostName(from),
    pod: env("POD_NAME", from),
    namespace: env("POD_NAMESPACE", from),
    node: env("NODE_NAME", from),
    pid: process.pid,
    runtime,
    io,
  };
}

/** The `X-Served-By` value: `<POD_NAME or hostname>/<worker pid>`, field-value safe (RFC 9110 §5.5). */
export function servedByValue(id: Identity): string {
  const who = (id.pod ?? id.hostname).replace(/[^\x21-\x7e]/g, "_");
  return `${who}/${id.pid}`;
}
