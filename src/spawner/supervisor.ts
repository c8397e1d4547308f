/**
 * The supervisor (`--workers N`, N > 1): starts N worker processes — this
 * program again, marked by WORKER_ENV — keeps N of them alive, and turns
 * signals into graceful shutdown (SIGTERM/SIGINT) or a rolling restart
 * (SIGHUP). It never touches a request: workers accept on their own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import type { Config } from "../config.ts";
import type { Command, Sharing } from "./command.ts";
import { events, lifecycle, listeningLine, say, tlsListening, warn, withServedIo } from "./log.ts";
import { PodMetrics } from "../metrics/serve.ts";
import { encodeSupervisorMessage, EXIT, MessageReader, WORKER_ENV, WORKER_INDEX_ENV, WORKER_PORT_ENV, WORKER_STATE_ENV, type SupervisorMessage } from "./protocol.ts";
import type { RunState } from "../respond/state.ts";
import { detectRuntime } from "../runtime.ts";
import { ACCESS_LOG_FD_ENV, supervisorAccessFd } from "../access-log/output.ts";

/** The descriptor number a worker finds the access log on: the first after stdin, stdout and stderr. */
const ACCESS_LOG_CHILD_FD = 3;
import { checkSpread } from "./spread.ts";
import { delayFor, STOP_SIGNALS, type StopSignal } from "./worker-process.ts";
import { tlsProblem } from "../tls/files.ts";

/** A worker that lived this long before dying was healthy: its slot's backoff starts over. */
const STABLE_MS = 10_000;
/** Backoff between replacements of a worker that keeps dying: 0 (the first), then 100 ms doubling to 5 s. */
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 5_000;
/** Quick deaths in a row after which the supervisor stops trying (after about 3 s of backoff). */
const MAX_QUICK_DEATHS = 6;
/** A worker not listening by then is killed and counts as failing to start. */
const START_DEADLINE_MS = 10_000;
/** After the workers' own --shutdown-timeout, how long the supervisor waits before SIGKILL. */
const KILL_GRACE_MS = 1_000;

interface Exit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** The supervisor's record of one worker process it started (not the serving handle, src/worker.ts's ServingWorker). */
interface WorkerChild {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startedAt: number;
  /** Reported that it listens. */
  ready: boolean;
  /** We asked it to stop: its exit is expected, not a crash. */
  retiring: boolean;
  /** What it said when it could not start. */
  fatal: string | undefined;
  readonly exited: Promise<Exit>;
  /** The run-time state it confirmed (or was started in, through its environment). */
  applied: RunState;
}

/** A worker died before listening. `cannotListen`: restarting would fail the same way. */
class StartFailure extends Error {
  constructor(
    message: string,
    readonly cannotListen: boolean,
  ) {
    super(message);
  }
}

export interface SupervisorOptions {
  readonly config: Config;
  readonly workers: number;
  readonly command: Command;
  readonly sharing: Sharing;
  /** "bun 1.4.5", for the listening line. */
  readonly runtime: string;
}

type State = "starting" | "running" | "restarting" | "stopping";

export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #quiet: boolean;
  #state: State = "starting";
  /** The worker serving in each slot. */
  readonly #slots: (WorkerChild | undefined)[];
  readonly #quickDeaths: number[];
  /** Every worker process alive, in a slot or not (starting, retiring). */
  readonly #live = new Set<WorkerChild>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** --metrics-port: the workers' reports summed and served here; null when off. */
  readonly #metrics: PodMetrics | null;
  /**
   * Run-time state (src/respond/state.ts), owned here so that every worker has it, a replaced
   * one included: sent to each live worker when the admin listener changes it, and to each new one.
   */
  #runState: RunState = "ready";
  #port: number;
  /** The back end the first ready worker reported serving (--io uring may fall back to syscall), for the listening line. */
  #servedIo: string | undefined;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#quiet = options.config.quiet;
    this.#slots = new Array<WorkerChild | undefined>(options.workers).fill(undefined);
    this.#quickDeaths = new Array<number>(options.workers).fill(0);
    this.#port = options.config.port;
    this.#metrics = options.config.metricsPort === null ? null : new PodMetrics(options.config, (pid, m) => this.#tellPid(pid, m));
    if (options.config.accessLog !== null) {
      this.#accessFd = supervisorAccessFd(detectRuntime());
      if (this.#accessFd < 0) warn("--access-log: this process's stdout cannot be handed to the workers (a socket?): their lines are dropped and counted");
    }
    if (options.sharing === "cluster") setupCluster(options.command, this.#accessFd);
  }

  /** The workers' access-log descriptor (--access-log): this process's stdout, given to each as fd 3; null = off, -1 = none to give. */
  readonly #accessFd: number | null = null;

  async run(): Promise<void> {
    for (const signal of STOP_SIGNALS) process.on(signal, () => void this.stop(signal));
    process.on("SIGHUP", () => void this.rollingRestart());
    if (this.#o.config.adminPort !== null) {
      const { config } = this.#o;
      try {
        const { startAdminListener } = await import("../admin/listener.ts");
        const owner = { get: () => this.#runState, set: (s: RunState) => this.#setRunState(s), pending: () => this.#pendingState() };
        await startAdminListener(config, owner, { runtime: detectRuntime(), warn });
      } catch (e) {
        return this.#fail(new StartFailure(`cannot listen for admin on ${config.adminHost}:${config.adminPort}: ${e instanceof Error ? e.message : e}`, true));
      }
    }
    if (this.#metrics !== null) {
      try {
        await this.#metrics.listen(warn);
      } catch (e) {
        const { metricsHost, host, metricsPort } = this.#o.config;
        return this.#fail(new StartFailure(`cannot listen for metrics on ${metricsHost ?? host}:${metricsPort}: ${e instanceof Error ? e.message : e}`, true));
      }
    }
    try {
      if (this.#port === 0 && this.#o.sharing === "reuseport") {
        // Every worker must bind the port the first one got. (Cluster workers asking for
        // port 0 all get the primary's one socket, whatever port it has.)
        this.#port = (await this.#launch(0)).port;
        await Promise.all(this.#slots.map((_, i) => (i === 0 ? undefined : this.#launch(i))));
      } else {
        const started = await Promise.all(this.#slots.map((_, i) => this.#launch(i)));
        this.#port = started[0]!.port;
      }
    } catch (e) {
      if (this.#state !== "stopping") await this.#fail(e);
      return;
    }
    if (this.#state !== "starting") return;
    this.#state = "running";
    const { config } = this.#o;
    const details = `pid ${process.pid}, ${this.#o.workers} workers, ${this.#o.sharing === "cluster" ? "node:cluster shared socket" : "SO_REUSEPORT"}`;
    lifecycle(this.#quiet, events.listening(listeningLine(config.host, this.#port, withServedIo(this.#o.runtime, this.#servedIo), details, tlsListening(config, null))));
    const pids = this.#slots.flatMap((w) => (w === undefined ? [] : [w.pid]));
    const spread = await checkSpread(pids, config.host, this.#port, this.#o.sharing);
    if (this.#stopping()) return;
    if (!spread.ok) return this.#fail(new Error(`port sharing does not work: ${spread.text}`));
    lifecycle(this.#quiet, events.portSharing(spread.text));
  }

  /** Starts a worker for `slot` and resolves once it listens; the slot then holds it. */
  async #launch(slot: number): Promise<{ port: number }> {
    const worker = this.#spawn(slot);
    const port = await this.#whenListening(worker);
    const current = this.#slots[slot];
    if (this.#state === "stopping") {
      this.#retire(worker);
    } else if (current !== undefined && current.ready && !current.retiring && this.#live.has(current) && current !== worker) {
      // A replacement raced a rolling restart into this slot: one is enough.
      this.#retire(worker);
    } else {
      this.#slots[slot] = worker;
    }
    lifecycle(this.#quiet, events.workerStarted(worker.pid));
    this.#metrics?.started(worker.pid);
    void worker.exited.then((exit) => this.#onExit(slot, worker, exit));
    return { port };
  }

  #spawn(slot: number): WorkerChild {
    const env: Record<string, string | undefined> = { ...process.env, [WORKER_ENV]: "1", [WORKER_INDEX_ENV]: String(slot), [WORKER_STATE_ENV]: this.#runState };
    // Set or removed, never inherited: only this supervisor may assign a worker its port.
    if (this.#port !== 0 && this.#o.sharing === "reuseport") env[WORKER_PORT_ENV] = String(this.#port);
    else delete env[WORKER_PORT_ENV];
    // Set or removed, never inherited: a worker's stdout is this pipe, never its access log.
    const accessFd = this.#accessFd;
    if (accessFd === null) delete env[ACCESS_LOG_FD_ENV];
    else env[ACCESS_LOG_FD_ENV] = accessFd < 0 ? "-1" : String(ACCESS_LOG_CHILD_FD);
    const { file, args } = this.#o.command;
    const child =
      this.#o.sharing === "cluster"
        ? cluster.fork(env).process
        : spawn(file, [...args], { stdio: accessFd === null || accessFd < 0 ? ["pipe", "pipe", "inherit"] : ["pipe", "pipe", "inherit", accessFd], env });
    const exited = new Promise<Exit>((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      // spawn() itself failed (ENOENT, EACCES): no "exit" follows.
      child.once("error", () => {
        if (child.pid === undefined) resolve({ code: EXIT.failure, signal: null });
      });
    });
    const worker: WorkerChild = { child, pid: child.pid ?? 0, startedAt: Date.now(), ready: false, retiring: false, fatal: undefined, exited, applied: this.#runState };
    // A worker that dies before reading it closes the pipe: EPIPE here is that death, reported by "exit".
    child.stdin?.on("error", () => {});
    this.#live.add(worker);
    void exited.then(() => this.#live.delete(worker));
    // "close", not "exit": the pipe has delivered the worker's last report by then.
    if (this.#metrics !== null) child.once("close", () => this.#metrics!.exited(worker.pid, worker.ready));
    return worker;
  }

  #whenListening(worker: WorkerChild): Promise<number> {
    return new Promise((resolve, reject) => {
      const reader = new MessageReader();
      const timer = setTimeout(() => {
        worker.fatal = `worker ${worker.pid} did not start listening within ${START_DEADLINE_MS / 1000} s`;
        signal(worker, "SIGKILL");
      }, START_DEADLINE_MS);
      worker.child.stdout?.setEncoding("utf8");
      worker.child.stdout?.on("data", (chunk: string) => {
        for (const m of reader.push(chunk)) {
          if (m.kind === "fatal") worker.fatal = m.message;
          else if (m.kind === "metrics") this.#metrics?.message(worker.pid, m);
          else if (m.kind === "state") worker.applied = m.state;
          else if (!worker.ready) {
            worker.ready = true;
            this.#servedIo ??= m.io;
            clearTimeout(timer);
            resolve(m.port);
          }
        }
      });
      void worker.exited.then((exit) => {
        clearTimeout(timer);
        if (worker.ready) return;
        lifecycle(this.#quiet, events.workerExited(worker.pid, exit.code, exit.signal));
        const cannotListen = exit.code === EXIT.cannotListen;
        let why = worker.fatal ?? `worker ${worker.pid} exited with ${exit.signal ?? `code ${exit.code}`} before listening`;
        if (cannotListen && this.#slots.some((w) => w?.ready && this.#live.has(w))) {
          // Another of our workers holds the port: the port is fine, sharing it is not.
          why = `a worker could not share the port with the running ones (is SO_REUSEPORT in effect?): ${why}`;
        }
        reject(new StartFailure(why, cannotListen));
      });
    });
  }

  #onExit(slot: number, worker: WorkerChild, exit: Exit): void {
    lifecycle(this.#quiet, events.workerExited(worker.pid, exit.code, exit.signal));
    if (this.#state === "stopping" || worker.retiring || this.#slots[slot] !== worker) return;
    this.#slots[slot] = undefined;
    this.#replace(slot, Date.now() - worker.startedAt);
  }

  /** Replaces the dead worker of `slot` that lived `livedMs`, after a backoff if it keeps dying. */
  #replace(slot: number, livedMs: number): void {
    const quick = livedMs < STABLE_MS ? this.#quickDeaths[slot]! + 1 : 1;
    this.#quickDeaths[slot] = quick;
    if (quick >= MAX_QUICK_DEATHS) {
      void this.#fail(new Error(`a worker died ${quick} times in a row within ${STABLE_MS / 1000} s of starting; giving up`));
      return;
    }
    const delay = quick <= 1 ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (quick - 2));
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#state === "stopping") return;
      const started = Date.now();
      this.#launch(slot).catch((e: unknown) => {
        if (this.#state === "stopping") return;
        if (e instanceof StartFailure && e.cannotListen) return void this.#fail(e);
        say(`error: ${e instanceof Error ? e.message : e}`);
        this.#replace(slot, Date.now() - started);
      });
    }, delay);
    this.#timers.add(timer);
  }

  /**
   * Asks `worker` to stop: SIGTERM waits out --shutdown-delay in the worker (it serves on
   * meanwhile), SIGINT drains at once (see worker-process.ts). SIGKILL if it outlives both.
   */
  #retire(worker: WorkerChild, how: StopSignal = "SIGINT"): void {
    worker.retiring = true;
    signal(worker, how);
    const { config } = this.#o;
    const timer = setTimeout(() => signal(worker, "SIGKILL"), (delayFor(how, config) + config.shutdownTimeout) * 1000 + KILL_GRACE_MS);
    void worker.exited.then(() => clearTimeout(timer));
  }

  /** SIGHUP: one slot at a time, start a replacement, wait until it listens, then stop the old worker gracefully. */
  async rollingRestart(): Promise<void> {
    if (this.#state !== "running") {
      lifecycle(this.#quiet, events.signalIgnored(`SIGHUP ignored while ${this.#state}`));
      return;
    }
    // New workers read the certificate files again (rotation): a pair that cannot serve stops the restart before it begins.
    const { config } = this.#o;
    if (config.tlsCert !== null && config.tlsKey !== null) {
      const problem = tlsProblem(detectRuntime(), { tlsCert: config.tlsCert, tlsKey: config.tlsKey, tlsClientCa: config.tlsClientCa });
      if (problem !== null) return say(`error: rolling restart not started, keeping the old workers: ${problem}`);
    }
    this.#state = "restarting";
    lifecycle(this.#quiet, events.restartBegun());
    if (this.#o.sharing === "reuseport" && readMigrateReq() === "0") {
      // Closing one socket of a SO_REUSEPORT group resets the connections still in its accept
      // queue; since Linux 5.14 this sysctl moves them to another socket of the group instead.
      lifecycle(this.#quiet, events.notice("net.ipv4.tcp_migrate_req is 0: connections queued on a stopping worker's socket may be reset (set it to 1 for restarts without resets)"));
    }
    for (let slot = 0; slot < this.#slots.length; slot++) {
      const old = this.#slots[slot];
      try {
        // Cleared first so #launch puts the replacement here.
        this.#slots[slot] = undefined;
        await this.#launch(slot);
      } catch (e) {
        if (this.#stopping()) return;
        this.#slots[slot] ??= old;
        if (e instanceof StartFailure && e.cannotListen) return void this.#fail(e);
        say(`error: rolling restart stopped, keeping the old workers: ${e instanceof Error ? e.message : e}`);
        this.#state = "running";
        return;
      }
      if (this.#stopping()) return;
      if (old !== undefined && this.#live.has(old)) {
        this.#retire(old);
        await old.exited;
      }
    }
    if (this.#stopping()) return;
    this.#state = "running";
    lifecycle(this.#quiet, events.restartDone());
  }

  /** The admin listener changed the state: every live worker (starting, serving, retiring) gets it. */
  #setRunState(state: RunState): void {
    this.#runState = state;
    for (const w of this.#live) this.#tell(w, state);
    lifecycle(this.#quiet, events.stateChanged(state));
  }

  /** Serving workers that have not yet confirmed the current state (the admin client waits for 0). */
  #pendingState(): number {
    let n = 0;
    for (const w of this.#live) if (w.ready && w.applied !== this.#runState) n++;
    return n;
  }

  #tell(worker: WorkerChild, state: RunState): void {
    worker.child.stdin?.write(encodeSupervisorMessage({ kind: "state", state }));
  }

  /** A scrape's request to the live worker `pid` (gone: its pipe's close answers for it). */
  #tellPid(pid: number, m: SupervisorMessage): void {
    for (const w of this.#live) if (w.pid === pid) w.child.stdin?.write(encodeSupervisorMessage(m));
  }

  // A method, not an inline comparison: TypeScript narrows #state across awaits that can change it.
  #stopping(): boolean {
    return this.#state === "stopping";
  }

  /**
   * SIGTERM/SIGINT: every worker finishes its responses and exits; then the supervisor exits 0.
   * The signal is passed on, so the workers (not the supervisor) wait out --shutdown-delay after
   * a SIGTERM; a worker that dies meanwhile is not replaced, the others keep serving.
   */
  async stop(signal: StopSignal): Promise<void> {
    if (this.#state === "stopping") return;
    this.#state = "stopping";
    lifecycle(this.#quiet, events.shutdownBegun(signal));
    const delay = delayFor(signal, this.#o.config);
    if (delay > 0) lifecycle(this.#quiet, events.shutdownDelay(delay));
    await this.#stopAll(signal);
    lifecycle(this.#quiet, events.shutdownDone());
    process.exit(EXIT.ok);
  }

  async #stopAll(how: StopSignal = "SIGINT"): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const all = [...this.#live];
    for (const w of all) if (!w.retiring) this.#retire(w, how);
    await Promise.all(all.map((w) => w.exited));
  }

  async #fail(e: unknown): Promise<void> {
    this.#state = "stopping";
    say(`error: ${e instanceof Error ? e.message : e}`);
    await this.#stopAll();
    process.exit(e instanceof StartFailure && e.cannotListen ? EXIT.cannotListen : EXIT.failure);
  }
}

/** "0", "1", or undefined when the kernel has no such sysctl (before 5.14, or not Linux). */
function readMigrateReq(): string | undefined {
  try {
    return readFileSync("/proc/sys/net/ipv4/tcp_migrate_req", "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * process.kill, not child.kill: Deno 2.9's child.kill() makes the exit
 * report the signal even when the worker caught it and exited 0.
 */
function signal(worker: WorkerChild, name: NodeJS.Signals): void {
  try {
    process.kill(worker.pid, name);
  } catch {
    // Already gone; its exit event is on the way.
  }
}

/**
 * Node before 22.12: cluster workers share the primary's listening socket.
 * SCHED_NONE lets each worker accept on it directly; the default
 * round-robin would route every connection through the primary.
 * `exec` + `args` + empty `execArgv` make fork() run exactly `command`
 * (fork spawns execPath [...execArgv, exec, ...args]); a Node SEA started
 * without arguments gets a harmless placeholder as `exec`.
 */
function setupCluster(command: Command, accessFd: number | null): void {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const [exec = "--workers=1", ...args] = command.args;
  // The access log's descriptor takes fd 3 as with spawn; the IPC channel follows it (Node finds it by its entry).
  const stdio = accessFd === null || accessFd < 0 ? ["pipe", "pipe", "inherit", "ipc"] : ["pipe", "pipe", "inherit", accessFd, "ipc"];
  cluster.setupPrimary({ exec, args, execArgv: [], stdio });
}
