/**
 * Decides whether a run counts. A run with socket errors, non-2xx
 * responses or wrong bodies is invalid: it measures a failure, not speed.
 * Pure, so the rules are unit-tested (test/bench/validity.test.ts).
 */
import type { GeneratorUsage, LoadResult, Scenario } from "../types.ts";

export interface RunContext {
  scenario: Scenario;
  connections: number;
  /** Bytes of one complete response, from the probe; undefined if unknown. */
  responseBytes: number | undefined;
}

export interface Verdict {
  valid: boolean;
  reasons: string[];
}

export function judgeRun(load: LoadResult, ctx: RunContext): Verdict {
  const reasons: string[] = [];
  const { errors } = load;
  if (load.requests === 0) reasons.push("no responses");
  if (errors.connect > 0) reasons.push(`${errors.connect} connect errors`);
  if (errors.write > 0) reasons.push(`${errors.write} write errors`);
  if (errors.timeout > 0) reasons.push(`${errors.timeout} timeouts`);
  if (errors.status > 0) reasons.push(`${errors.status} non-2xx responses`);
  const readErrors = unexpectedReadErrors(load, ctx.scenario);
  if (readErrors > 0) reasons.push(`${readErrors} read errors`);
  if (load.bad > 0) reasons.push(`${load.bad} wrong responses of ${load.checked} checked`);
  const bytes = checkBytes(load, ctx);
  if (bytes) reasons.push(bytes);
  return { valid: reasons.length === 0, reasons };
}

/**
 * wrk counts a read error whenever the server closes a connection it
 * believes is persistent. With `Connection: close` a server may close
 * after the response without echoing `close` (RFC 9112 §9.6 says SHOULD),
 * which wrk reports as one read error per response: those are not errors.
 */
export function unexpectedReadErrors(load: LoadResult, scenario: Scenario): number {
  if (!scenario.close) return load.errors.read;
  return Math.max(0, load.errors.read - load.requests);
}

/**
 * Every response of a server is the same length (the Date field is
 * fixed-length, RFC 9110 §5.6.7), so the bytes read must be the response
 * count times the probed length, plus at most one partial response per
 * in-flight request when the run stops. Catches wrong bodies cheaply in
 * measured runs, which do not look at each body.
 */
export function checkBytes(load: LoadResult, ctx: RunContext): string | undefined {
  const size = ctx.responseBytes;
  if (size === undefined || load.requests === 0 || load.approximate) return undefined;
  const low = load.requests * size;
  const high = low + ctx.connections * ctx.scenario.pipeline * size;
  if (load.bytes >= low && load.bytes <= high) return undefined;
  const per = (load.bytes / load.requests).toFixed(1);
  return `read ${per} bytes per response, expected ${size}`;
}

/** Share of one CPU above which a process counts as saturated. */
export const SATURATED = 0.9;

/**
 * The generator, not the server, limited the run: the generator used
 * (nearly) all its CPUs while the server had CPU to spare.
 */
export function isGeneratorBound(gen: GeneratorUsage, serverCpuUs: number, serverCores: number, wallUs: number): boolean {
  if (wallUs <= 0) return false;
  const generatorLoad = gen.cpuUs / (gen.wallUs * gen.cores);
  const serverLoad = serverCpuUs / (wallUs * serverCores);
  return generatorLoad >= SATURATED && serverLoad < SATURATED;
}
