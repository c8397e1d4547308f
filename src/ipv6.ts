/**
 * Whether this host can bind IPv6, for the default `--host` (`::` dual-stack, else
 * `0.0.0.0`). Runtime-neutral: node:fs and node:os exist in Bun, Deno and Node.
 */
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";

/**
 * Linux: /proc/net/if_inet6 lists one line per IPv6 address; it is missing when the kernel
 * runs with ipv6.disable=1 and empty when every interface has disable_ipv6=1 (what Docker
 * and podman do in a container whose network has no IPv6). Elsewhere: any IPv6 address on
 * any interface (loopback included).
 */
export function hostHasIPv6(): boolean {
  if (process.platform === "linux") {
    try {
      return readFileSync("/proc/net/if_inet6", "utf8").trim() !== "";
    } catch {
      return false;
    }
  }
  try {
    return Object.values(networkInterfaces()).some((list) => list?.some((a) => a.family === "IPv6"));
  } catch {
    return false;
  }
}
