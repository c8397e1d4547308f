/**
 * How many CPUs this process may really use: the smaller of its affinity
 * mask and its cgroup CPU quota, so `taskset -c 0` and `docker run --cpus 1`
 * both give 1. `os.availableParallelism()` is not enough: libuv reads only
 * the affinity mask, and a container limited by quota sees every host CPU.
 *
 * Reads /proc and /sys through node:fs, which Bun, Deno and Node all provide.
 * The parsers are pure and take the files' text, so they are tested with
 * fixture strings.
 */
import { readFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";

/** Reads a file's text, or undefined when it does not exist or is unreadable. */
export type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/** CPUs in a kernel cpu list such as "0-3,8,10-11" (proc(5), `Cpus_allowed_list`); 0 if unparsable. */
export function countCpuList(list: string): number {
  let count = 0;
  for (const part of list.trim().split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) return 0;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) return 0;
    count += last - first + 1;
  }
  return count;
}

/** The `Cpus_allowed_list` of /proc/self/status, counted; undefined if absent. */
export function affinityFromStatus(status: string): number | undefined {
  const m = /^Cpus_allowed_list:\s*(\S+)\s*$/m.exec(status);
  if (m === null) return undefined;
  const n = countCpuList(m[1]!);
  return n > 0 ? n : undefined;
}

/** cgroup v2 `cpu.max` ("max 100000" or "QUOTA PERIOD") as CPUs (may be fractional); undefined = no limit. */
export function quotaFromCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === "max") return undefined;
  return quotaRatio(quota, period ?? "100000");
}

/** cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` as CPUs; quota -1 = no limit. */
export function quotaFromCfs(quotaText: string, periodText: string): number | undefined {
  return quotaRatio(quotaText.trim(), periodText.trim());
}

function quotaRatio(quota: string, period: string): number | undefined {
  if (!/^\d+$/.test(quota) || !/^\d+$/.test(period)) return undefined;
  const q = Number(quota);
  const p = Number(period);
  return q > 0 && p > 0 ? q / p : undefined;
}

/** A cgroup file system mount: which part of the hierarchy it shows, and where. */
export interface CgroupMount {
  /** The cgroup path at the mount point (field 4 of mountinfo), "/" unless bind-mounted from deeper. */
  root: string;
  mountPoint: string;
}

/** The cgroup v2 mount and the v1 mount carrying the `cpu` controller, from /proc/self/mountinfo. */
export function cgroupMounts(mountinfo: string): { v2?: CgroupMount; v1cpu?: CgroupMount } {
  const found: { v2?: CgroupMount; v1cpu?: CgroupMount } = {};
  for (const line of mountinfo.split("\n")) {
    // proc(5): "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS"
    const dash = line.indexOf(" - ");
    if (dash === -1) continue;
    const left = line.slice(0, dash).split(" ");
    const [fstype, , superOptions = ""] = line.slice(dash + 3).split(" ");
    const mount = { root: unescapeMountinfo(left[3] ?? "/"), mountPoint: unescapeMountinfo(left[4] ?? "") };
    if (fstype === "cgroup2") found.v2 ??= mount;
    else if (fstype === "cgroup" && superOptions.split(",").includes("cpu")) found.v1cpu ??= mount;
  }
  return found;
}

// proc(5): spaces, tabs, newlines and backslashes in mountinfo paths are written as octal escapes.
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** This process's cgroup paths from /proc/self/cgroup: the v2 one ("0::PATH") and the v1 one with `cpu`. */
export function cgroupPaths(procCgroup: string): { v2?: string; v1cpu?: string } {
  const found: { v2?: string; v1cpu?: string } = {};
  for (const line of procCgroup.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (m === null) continue;
    if (m[1] === "0" && m[2] === "") found.v2 = m[3]!;
    else if (m[2]!.split(",").includes("cpu")) found.v1cpu = m[3]!;
  }
  return found;
}

/**
 * The directories to read limits from, innermost first, up to the mount
 * point: a quota set on any ancestor cgroup also caps this process.
 */
export function cgroupDirs(mount: CgroupMount, path: string): string[] {
  const root = mount.root === "/" ? "" : mount.root;
  let rel = path;
  if (root !== "") {
    if (path === root) rel = "";
    else if (path.startsWith(root + "/")) rel = path.slice(root.length);
    // The process's cgroup is outside what this mount shows (e.g. a container without a
    // cgroup namespace): the mount point itself is the closest cgroup we can read.
    else rel = "";
  }
  const parts = rel.split("/").filter((p) => p !== "" && p !== "." && p !== "..");
  const dirs: string[] = [];
  for (let i = parts.length; i >= 0; i--) dirs.push([mount.mountPoint, ...parts.slice(0, i)].join("/"));
  return dirs;
}

/** The tightest cgroup CPU quota (v2 and v1) on this process, in CPUs; undefined = none. */
export function cgroupQuota(read: ReadText): number | undefined {
  const mountinfo = read("/proc/self/mountinfo");
  const procCgroup = read("/proc/self/cgroup");
  if (mountinfo === undefined || procCgroup === undefined) return undefined;
  const mounts = cgroupMounts(mountinfo);
  const paths = cgroupPaths(procCgroup);
  let limit: number | undefined;
  const tighten = (q: number | undefined): void => {
    if (q !== undefined && (limit === undefined || q < limit)) limit = q;
  };
  if (mounts.v2 !== undefined && paths.v2 !== undefined) {
    for (const dir of cgroupDirs(mounts.v2, paths.v2)) {
      const max = read(`${dir}/cpu.max`);
      if (max !== undefined) tighten(quotaFromCpuMax(max));
    }
  }
  if (mounts.v1cpu !== undefined && paths.v1cpu !== undefined) {
    for (const dir of cgroupDirs(mounts.v1cpu, paths.v1cpu)) {
      const quota = read(`${dir}/cpu.cfs_quota_us`);
      const period = read(`${dir}/cpu.cfs_period_us`);
      if (quota !== undefined && period !== undefined) tighten(quotaFromCfs(quota, period));
    }
  }
  return limit;
}

/**
 * min(affinity mask, ceil(cgroup quota)), at least 1. A quota of 1.5 CPUs
 * gives 2 workers: the second one still gets half a CPU of work done.
 */
export function availableCpus(read: ReadText = readText): number {
  const status = read("/proc/self/status");
  let n = (status === undefined ? undefined : affinityFromStatus(status)) ?? fallbackCpus();
  const quota = cgroupQuota(read);
  if (quota !== undefined) n = Math.min(n, Math.ceil(quota));
  return Math.max(1, n);
}

// Not Linux (no /proc): the runtime's own count, which honours affinity where the OS has it.
function fallbackCpus(): number {
  try {
    return availableParallelism();
  } catch {
    return cpus().length || 1;
  }
}
