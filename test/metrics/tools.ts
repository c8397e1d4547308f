/** Prometheus' own tools (Debian's `prometheus` package), or null where they are not installed. */
import { execFileSync } from "node:child_process";

function which(name: string): string | null {
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

export function promtool(): string | null {
  return which("promtool");
}

export function prometheus(): string | null {
  return which("prometheus");
}
