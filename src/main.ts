/**
 * Entry point of every build (bundle and compiled binaries): parse flags,
 * then help / version / healthcheck / serve.
 */
import { HELP, parseCommand, UsageError, VERSION } from "./config.ts";
import { hostHasIPv6 } from "./ipv6.ts";
import { emit } from "./spawner/log.ts";
import { runtimeArgs } from "./runtime.ts";

async function main(): Promise<number> {
  const command = parseCommand(runtimeArgs(), process.env, { ipv6: hostHasIPv6() });
  switch (command.kind) {
    case "help":
      process.stdout.write(HELP);
      return 0;
    case "version":
      process.stdout.write(`hello-server ${VERSION}\n`);
      return 0;
    case "healthcheck": {
      const { healthcheck } = await import("./healthcheck.ts");
      return healthcheck(command.config);
    }
    case "admin": {
      const { adminRequest } = await import("./admin/client.ts");
      return adminRequest(command.action, command.host, command.port);
    }
    case "serve": {
      // The spawner decides: this process serves (--workers 1, or it is a worker) or supervises workers.
      const { serve } = await import("./spawner/index.ts");
      await serve(command.config);
      return -1;
    }
  }
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    // A usage error is always text: the flags that would choose the format could not be read.
    if (err instanceof UsageError) process.stderr.write(`hello-server: ${message}\n`);
    else emit({ event: "error", level: "error", message });
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
