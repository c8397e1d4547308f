/**
 * The socket back end, for every runtime: the runtime's own listener (one
 * file per runtime: bun.ts, deno.ts, node.ts) plus the core's clock
 * (clock.ts). With TLS and --tls-port there are two listeners, plain HTTP
 * on --port and HTTPS on --tls-port, driving the same core.
 */
import { runClock } from "./clock.ts";
import type { Backend, Listener, Served } from "../contract/socket.ts";
import type { RuntimeListen } from "./types.ts";

export function socketBackend(listen: RuntimeListen): Backend {
  return async (options, core) => {
    const listeners: Listener[] = [];
    const tls = options.tls;
    try {
      if (tls === null || tls.port !== null) listeners.push(await listen(options, core.handler, null));
      if (tls !== null) listeners.push(await listen({ ...options, port: tls.port ?? options.port }, core.handler, tls));
    } catch (error) {
      for (const l of listeners) l.stop();
      throw error;
    }
    const clock = runClock(core);
    const served: Served = {
      port: listeners[0]!.port,
      tlsPort: tls?.port != null ? listeners[1]!.port : null,
      async stop() {
        await Promise.all(listeners.map((l) => l.stop()));
      },
      close() {
        clock.stop();
      },
    };
    return served;
  };
}
