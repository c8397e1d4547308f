/**
 * Raises the soft open-file limit (RLIMIT_NOFILE) to the hard one at start,
 * as Go's runtime (since 1.19, os/rlimit.go) and nginx's
 * `worker_rlimit_nofile` do. Distributions ship soft 1024 / hard 524288 so
 * that select()-based programs never see an fd ≥ 1024; this server never
 * calls select(), and at the soft limit of 1024 it would refuse the
 * 1,021st concurrent connection (EMFILE). Raising the soft limit up to the
 * hard one needs no privilege (setrlimit(2)).
 */
import type { RuntimeName } from "../contract/runtime.ts";
import type { Libc } from "./ffi/libc.ts";
import * as K from "./constants.ts";

export interface FileLimit {
  /** The soft limit before (bigint: RLIM_INFINITY is 2^64 - 1). */
  readonly before: bigint;
  /** The soft limit now (= `before` when it was already at the hard limit or setrlimit failed). */
  readonly after: bigint;
  readonly hard: bigint;
  /** The errno of a failed getrlimit/setrlimit; 0 on success. */
  readonly errno: number;
}

/** getrlimit, then setrlimit(soft = hard) where soft < hard. */
export function raiseOpenFileLimit(libc: Libc): FileLimit {
  const cell = new Uint8Array(K.RLIMIT_SIZE);
  const view = new DataView(cell.buffer);
  if (libc.getrlimit(K.RLIMIT_NOFILE, cell) !== 0) return { before: -1n, after: -1n, hard: -1n, errno: libc.errno() };
  const before = view.getBigUint64(0, true);
  const hard = view.getBigUint64(8, true);
  if (before >= hard) return { before, after: before, hard, errno: 0 };
  view.setBigUint64(0, hard, true);
  if (libc.setrlimit(K.RLIMIT_NOFILE, cell) !== 0) return { before, after: before, hard, errno: libc.errno() };
  return { before, after: hard, hard, errno: 0 };
}

/**
 * At worker start, on every back end (node:net and Bun.listen run out of
 * descriptors too): raises the limit where an FFI is at hand without a
 * prompt (Bun; Deno with --allow-ffi; Node with koffi) on Linux x86_64
 * (RLIMIT_NOFILE's number and struct rlimit's layout). null where not.
 */
export async function raiseOpenFileLimitAtStart(runtime: RuntimeName): Promise<FileLimit | null> {
  const { ffiPermitted, syscallUnavailableReason } = await import("./available.ts");
  if (syscallUnavailableReason(runtime) !== null || !ffiPermitted(runtime)) return null;
  const { loadLibc } = await import("./ffi/libc.ts");
  return raiseOpenFileLimit(await loadLibc(runtime));
}
