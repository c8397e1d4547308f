import { expect, test } from "bun:test";
import {
  affinityFromStatus,
  availableCpus,
  cgroupDirs,
  cgroupMounts,
  cgroupPaths,
  countCpuList,
  quotaFromCfs,
  quotaFromCpuMax,
  type ReadText,
} from "../../src/spawner/cpus.ts";

test("countCpuList counts ranges and singles", () => {
  expect(countCpuList("0")).toBe(1);
  expect(countCpuList("0-1")).toBe(2);
  expect(countCpuList("0-3,8,10-11\n")).toBe(7);
  expect(countCpuList("")).toBe(0);
  expect(countCpuList("3-1")).toBe(0);
  expect(countCpuList("x")).toBe(0);
});

test("affinityFromStatus reads Cpus_allowed_list, not Cpus_allowed", () => {
  const status = "Name:\tbun\nCpus_allowed:\t3\nCpus_allowed_list:\t0,2-4\nMems_allowed:\t1\n";
  expect(affinityFromStatus(status)).toBe(4);
  expect(affinityFromStatus("Name:\tx\n")).toBeUndefined();
});

test("cgroup v2 cpu.max", () => {
  expect(quotaFromCpuMax("max 100000\n")).toBeUndefined();
  expect(quotaFromCpuMax("100000 100000\n")).toBe(1);
  expect(quotaFromCpuMax("150000 100000\n")).toBe(1.5);
  expect(quotaFromCpuMax("50000\n")).toBe(0.5);
});

test("cgroup v1 cfs quota", () => {
  expect(quotaFromCfs("-1\n", "100000\n")).toBeUndefined();
  expect(quotaFromCfs("200000\n", "100000\n")).toBe(2);
  expect(quotaFromCfs("0\n", "100000\n")).toBeUndefined();
});

// Lines as Docker on a cgroup v2 host and a hybrid (v1 + unified) host write them.
const MOUNTINFO_V2 =
  "620 610 0:27 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate\n";
const MOUNTINFO_HYBRID = [
  "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
  "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:7 - cgroup cgroup rw,cpu,cpuacct",
  "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset",
  "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
].join("\n");

test("cgroupMounts finds the v2 mount and the v1 mount with the cpu controller", () => {
  expect(cgroupMounts(MOUNTINFO_V2)).toEqual({ v2: { root: "/", mountPoint: "/sys/fs/cgroup" } });
  expect(cgroupMounts(MOUNTINFO_HYBRID)).toEqual({
    v2: { root: "/", mountPoint: "/sys/fs/cgroup/unified" },
    v1cpu: { root: "/", mountPoint: "/sys/fs/cgroup/cpu,cpuacct" },
  });
  // cpuset must not be mistaken for cpu.
  expect(cgroupMounts(MOUNTINFO_HYBRID.split("\n").slice(2).join("\n")).v1cpu).toBeUndefined();
});

test("cgroupPaths", () => {
  expect(cgroupPaths("0::/user.slice/session-1.scope\n")).toEqual({ v2: "/user.slice/session-1.scope" });
  expect(cgroupPaths("4:cpu,cpuacct:/docker/abc\n3:cpuset:/x\n0::/\n")).toEqual({ v1cpu: "/docker/abc", v2: "/" });
});

test("cgroupDirs walks from the process's cgroup up to the mount point", () => {
  const m = { root: "/", mountPoint: "/sys/fs/cgroup" };
  expect(cgroupDirs(m, "/")).toEqual(["/sys/fs/cgroup"]);
  expect(cgroupDirs(m, "/a/b")).toEqual(["/sys/fs/cgroup/a/b", "/sys/fs/cgroup/a", "/sys/fs/cgroup"]);
  // Mount shows only /docker/abc (bind-mounted): paths are relative to it.
  const bound = { root: "/docker/abc", mountPoint: "/sys/fs/cgroup/cpu" };
  expect(cgroupDirs(bound, "/docker/abc")).toEqual(["/sys/fs/cgroup/cpu"]);
  expect(cgroupDirs(bound, "/docker/abc/w")).toEqual(["/sys/fs/cgroup/cpu/w", "/sys/fs/cgroup/cpu"]);
  // Outside the mount's root: only the mount point is readable.
  expect(cgroupDirs(bound, "/other")).toEqual(["/sys/fs/cgroup/cpu"]);
});

function fakeFs(files: Record<string, string>): ReadText {
  return (path) => files[path];
}

test("availableCpus = min(affinity, ceil(tightest quota))", () => {
  const base = {
    "/proc/self/status": "Cpus_allowed_list:\t0-7\n",
    "/proc/self/mountinfo": MOUNTINFO_V2,
    "/proc/self/cgroup": "0::/a/b\n",
  };
  expect(availableCpus(fakeFs(base))).toBe(8);
  // `docker run --cpus 1.5` writes "150000 100000" in the container's cgroup.
  expect(availableCpus(fakeFs({ ...base, "/sys/fs/cgroup/a/b/cpu.max": "150000 100000\n" }))).toBe(2);
  // A tighter quota on an ancestor wins.
  expect(
    availableCpus(
      fakeFs({ ...base, "/sys/fs/cgroup/a/b/cpu.max": "max 100000\n", "/sys/fs/cgroup/a/cpu.max": "100000 100000\n" }),
    ),
  ).toBe(1);
  // Affinity tighter than the quota.
  expect(
    availableCpus(fakeFs({ ...base, "/proc/self/status": "Cpus_allowed_list:\t3\n", "/sys/fs/cgroup/cpu.max": "400000 100000" })),
  ).toBe(1);
  // A tiny quota still gives one worker.
  expect(availableCpus(fakeFs({ ...base, "/sys/fs/cgroup/a/b/cpu.max": "1000 100000\n" }))).toBe(1);
});

test("availableCpus reads cgroup v1 quotas on a hybrid host", () => {
  const read = fakeFs({
    "/proc/self/status": "Cpus_allowed_list:\t0-3\n",
    "/proc/self/mountinfo": MOUNTINFO_HYBRID,
    "/proc/self/cgroup": "4:cpu,cpuacct:/docker/abc\n0::/\n",
    "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "200000\n",
    "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
  });
  expect(availableCpus(read)).toBe(2);
});

test("availableCpus follows the real affinity mask (taskset -c 0 gives 1)", () => {
  const script = `import { availableCpus } from "./src/spawner/cpus.ts"; console.log(availableCpus());`;
  const run = (prefix: string[]) => {
    const r = Bun.spawnSync([...prefix, process.execPath, "-e", script], { stderr: "inherit" });
    return Number(r.stdout.toString().trim());
  };
  expect(run(["taskset", "-c", "0"])).toBe(1);
  expect(run(["taskset", "-c", "0,1"])).toBe(Math.min(2, availableCpus()));
});
