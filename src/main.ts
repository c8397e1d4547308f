/**
 * Entry point of every build (bundle and compiled binaries): parse flags,
 * then help / version / healthcheck / serve.
 */
import { HELP, parseCommand, UsageError, VERSION } from "./config.ts";
import { detectRuntime, runtimeArgs, runtimeVersion } from "./runtime.ts";
import { startWorker } from "./worker.ts";

async function main(): Promise<number> {
  const command = parseCommand(runtimeArgs(), process.env);
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
    case "serve": {
      const config = command.config;
      const worker = await startWorker(config, { reusePort: false });
      if (!config.quiet) {
        const runtime = detectRuntime();
        process.stderr.write(`hello-server listening on http://${config.host}:${worker.port} (${runtime} ${runtimeVersion(runtime)}, pid ${process.pid})\n`);
      }
      const stop = () => {
        const force = setTimeout(() => {
          worker.forceClose();
          process.exit(0);
        }, config.shutdownTimeout * 1000);
        void worker.shutdown().then(() => {
          clearTimeout(force);
          process.exit(0);
        });
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
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
    process.stderr.write(`hello-server: ${message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
