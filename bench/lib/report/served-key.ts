/**
 * What `--diff` matches hello-server rows by: the back end that served, not the `--only` name.
 * `hello` meant `--io socket` in reports before it meant the default back end (`--io auto`,
 * syscall where it can run), so an old `bun/hello` is the new `bun/hello-socket`, and a new
 * `bun/hello` that ran on syscall compares with `bun/hello-syscall`. Pure.
 */
import type { InstanceInfo } from "./summarize.ts";

/** The kinds whose back end is whatever served (`--io auto` now, `--io socket` in older reports), and the suffix their id keeps. */
const SERVED_KINDS: Record<string, string> = { hello: "", "hello-ws": "-ws" };

/** The back end a row ran on: the report's own field, else its label (`--io socket`, `io syscall`). */
function ioOf(i: Pick<InstanceInfo, "io" | "label">): string | undefined {
  return i.io ?? /(?:--io|, io) (\w+)/.exec(i.label)?.[1];
}

/**
 * Instance key → the key it is matched by: `runtime/hello-<io>[-ws]` for a row of the default
 * back end; every other row its own key. Where that key is another row's of the same report (a
 * run with both `hello` and `hello-syscall`), the default one stays apart: `… (default)`.
 */
export function servedKeys(instances: readonly Pick<InstanceInfo, "key" | "kindId" | "runtime" | "io" | "label">[]): Map<string, string> {
  const keys = new Set(instances.map((i) => i.key));
  const out = new Map<string, string>();
  for (const i of instances) {
    const suffix = SERVED_KINDS[i.kindId];
    const io = ioOf(i);
    if (suffix === undefined || io === undefined || i.runtime === undefined) {
      out.set(i.key, i.key);
      continue;
    }
    const served = `${i.runtime}/hello-${io}${suffix}`;
    out.set(i.key, keys.has(served) ? `${served} (default)` : served);
  }
  return out;
}
