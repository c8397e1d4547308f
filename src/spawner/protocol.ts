/**
 * What a supervisor and its worker processes say to each other. Workers
 * report on their stdout pipe, one line per message, because a pipe works the
 * same in Bun, Deno and Node (an IPC channel does not, and cluster workers
 * under Node already use theirs). The supervisor talks back with signals, and
 * with lines on the worker's stdin (the run-time state: SupervisorMessage).
 */
import type { CounterSnapshot } from "../metrics/counters.ts";
import { isRunState, type RunState } from "../respond/state.ts";

/**
 * Set to "1" in a worker's environment: serve() then runs as a worker, not a supervisor.
 * The leading underscore is deliberate: Kubernetes service links (and Docker's legacy
 * links) inject `<SERVICE>_PORT=tcp://…`, `<SERVICE>_SERVICE_HOST`, … for every Service,
 * and a Service name starts with a letter, so no injected name can start with `_`. A
 * Service named `hello-server-worker` would otherwise set HELLO_SERVER_WORKER_PORT.
 */
export const WORKER_ENV = "_HELLO_WORKER";
/**
 * The port the first worker actually bound, given to the rest: with
 * `--port 0` every worker would otherwise pick its own free port.
 */
export const WORKER_PORT_ENV = "_HELLO_WORKER_PORT";
/**
 * The worker's slot (0..N-1), kept by its replacements: worker i seeds its random faults with
 * --seed + i (src/respond/random.ts).
 */
export const WORKER_INDEX_ENV = "_HELLO_WORKER_INDEX";
/**
 * The run-time state a worker starts in, when not `ready`: set before it serves its first
 * request (a line on stdin could be read after it). Later changes come as SupervisorMessages.
 */
export const WORKER_STATE_ENV = "_HELLO_WORKER_STATE";

/** Process exit codes. */
export const EXIT = {
  ok: 0,
  /** The server failed while running, or the supervisor could not keep workers alive. */
  failure: 1,
  /** A bad flag (config.ts's UsageError). */
  usage: 2,
  /** The server could not start listening (port in use, no permission, bad address): restarting will not help. */
  cannotListen: 3,
} as const;

export type WorkerMessage =
  /** Bound and accepting on `port`, with the `io` back end that serves (--io uring may have fallen back to syscall). */
  | { readonly kind: "ready"; readonly port: number; readonly io?: string }
  /** Could not start; the worker exits with EXIT.cannotListen right after. */
  | { readonly kind: "fatal"; readonly message: string }
  /**
   * --metrics-port: the worker's counters since it started (every second, at exit, and in answer to
   * the supervisor's metrics request `seq`, absent on the others); the supervisor sums them.
   */
  | { readonly kind: "metrics"; readonly counters: CounterSnapshot; readonly seq?: number }
  /** The run-time state a SupervisorMessage asked for is in effect (the admin client waits for every worker's). */
  | { readonly kind: "state"; readonly state: RunState };

const PREFIX = "hello-server-worker ";

export function encodeMessage(message: WorkerMessage): string {
  return PREFIX + JSON.stringify(message) + "\n";
}

/**
 * Splits a stream of stdout chunks into messages. Lines that are not
 * messages (nothing else should print there) are ignored, not fatal.
 */
export class MessageReader {
  #pending = "";

  push(chunk: string): WorkerMessage[] {
    this.#pending += chunk;
    const out: WorkerMessage[] = [];
    let nl: number;
    while ((nl = this.#pending.indexOf("\n")) !== -1) {
      const line = this.#pending.slice(0, nl);
      this.#pending = this.#pending.slice(nl + 1);
      const message = decodeLine(line);
      if (message !== undefined) out.push(message);
    }
    return out;
  }
}

function decodeLine(line: string): WorkerMessage | undefined {
  if (!line.startsWith(PREFIX)) return undefined;
  try {
    const m = JSON.parse(line.slice(PREFIX.length)) as Partial<{ kind: string; port: number; io: unknown; message: string; counters: CounterSnapshot; state: unknown; seq: unknown }>;
    if (m.kind === "ready" && Number.isInteger(m.port)) return { kind: "ready", port: m.port!, ...(typeof m.io === "string" ? { io: m.io } : {}) };
    if (m.kind === "fatal" && typeof m.message === "string") return { kind: "fatal", message: m.message };
    if (m.kind === "metrics" && isSnapshot(m.counters)) return { kind: "metrics", counters: m.counters, ...(isSeq(m.seq) ? { seq: m.seq } : {}) };
    if (m.kind === "state" && isRunState(m.state)) return { kind: "state", state: m.state };
  } catch {
    // Not ours.
  }
  return undefined;
}

function isSeq(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) > 0;
}

function isSnapshot(c: unknown): c is CounterSnapshot {
  if (typeof c !== "object" || c === null) return false;
  const s = c as Record<string, unknown>;
  return ["requests", "refused", "faults"].every((k) => typeof s[k] === "object" && s[k] !== null) && ["accepted", "closed", "received", "sent"].every((k) => typeof s[k] === "number");
}

/**
 * What the supervisor tells a worker, one line each on the worker's stdin (the pipe whose end
 * already tells it that the supervisor is gone): the run-time state (src/respond/state.ts), sent
 * when the admin listener changes it and to every new worker whose state is not `ready`; and a
 * scrape's request for the counters now (answered by a `metrics` message with the same `seq`,
 * so that the scrape counts every request answered before it began).
 */
export type SupervisorMessage = { readonly kind: "state"; readonly state: RunState } | { readonly kind: "metrics"; readonly seq: number };

const SUPERVISOR_PREFIX = "hello-server-supervisor ";

export function encodeSupervisorMessage(message: SupervisorMessage): string {
  return SUPERVISOR_PREFIX + JSON.stringify(message) + "\n";
}

/** Splits the worker's stdin into supervisor messages; other lines are ignored. */
export class SupervisorMessageReader {
  #pending = "";

  push(chunk: string): SupervisorMessage[] {
    this.#pending += chunk;
    const out: SupervisorMessage[] = [];
    let nl: number;
    while ((nl = this.#pending.indexOf("\n")) !== -1) {
      const line = this.#pending.slice(0, nl);
      this.#pending = this.#pending.slice(nl + 1);
      if (!line.startsWith(SUPERVISOR_PREFIX)) continue;
      try {
        const m = JSON.parse(line.slice(SUPERVISOR_PREFIX.length)) as Partial<{ kind: string; state: unknown; seq: unknown }>;
        if (m.kind === "state" && isRunState(m.state)) out.push({ kind: "state", state: m.state });
        else if (m.kind === "metrics" && isSeq(m.seq)) out.push({ kind: "metrics", seq: m.seq });
      } catch {
        // Not ours.
      }
    }
    return out;
  }
}
