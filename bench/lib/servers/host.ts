/**
 * What a benchmark or a test asks of the machine before it starts a
 * server: a free port, and where a program is installed. Shared by bench/
 * and test/ (one copy of each).
 *
 * Usage: const port = await freePort(); const nginx = which("nginx")
 */
import { existsSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";

/**
 * A port that was free a moment ago (the kernel picks it, then it is
 * released): another process may take it before the caller binds, which
 * is why servers that can should be started on port 0 instead.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const addr = server.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Folders searched after PATH: nginx and strace live in sbin, which a user's PATH often lacks. */
const SBIN = ["/usr/sbin", "/usr/local/sbin", "/sbin"];

/** Full path of an installed program (PATH, then the sbin folders), or undefined. */
export function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":").filter(Boolean), ...SBIN];
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}
