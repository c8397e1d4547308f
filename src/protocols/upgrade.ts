/**
 * The one place a request's `Upgrade` field is read (RFC 9110 §7.8), for every protocol this
 * server switches to: `websocket` on --ws-echo-path (RFC 6455 §4), and `h2c` (RFC 7540 §3.2)
 * once the HTTP/2 integration supplies its switch. The result is the core's
 * `ProtocolSwitch.upgrade` (src/contract/session.ts); the core asks it only for a request whose
 * `Connection` lists `upgrade` and that has no body.
 */
import type { Config } from "../config.ts";
import type { ExchangeRequest } from "../contract/exchange.ts";
import type { ProtocolSwitch, Upgrade } from "../contract/session.ts";
import type { SessionHooks } from "../ws/session.ts";
import type { WebSocketCounters } from "./counters.ts";
import { websocketEcho } from "./websocket.ts";

/** The protocol names this server may switch to, lower-case as compared (RFC 9110 §7.8: case-insensitive). */
export const UpgradeProtocol = { WEBSOCKET: "websocket", H2C: "h2c" } as const;
export type UpgradeProtocolName = (typeof UpgradeProtocol)[keyof typeof UpgradeProtocol];

export type UpgradeConfig = Pick<Config, "wsEchoPath" | "wsMaxMessage" | "wsPingInterval" | "idleTimeout">;

export interface UpgradeOptions {
  /** The core's coarse clock (ms since the epoch): its `now` is read at each use, never copied. */
  readonly clock: { readonly now: number };
  /** X-Served-By value (--served-by), or null. */
  readonly servedBy: string | null;
  /** WebSocket counting (--metrics-port), or null. */
  readonly wsCounters?: WebSocketCounters | null;
  /** A WebSocket session's access-log hooks (--access-log), or null (websocket.ts `logged`). */
  readonly wsLog?: ((request: ExchangeRequest) => SessionHooks) | null;
  /**
   * The h2c branch: the HTTP/2 integration's switch for `Upgrade: h2c` (RFC 7540 §3.2). Absent:
   * h2c is not offered, and such a request is answered as HTTP/1.1 (RFC 9110 §7.8 lets a server ignore Upgrade).
   */
  readonly h2c?: ((request: ExchangeRequest) => Upgrade | null) | null;
}

/**
 * The protocols `Upgrade` lists that this server knows, in the client's order (descending
 * preference, RFC 9110 §7.8). `name/version` is compared whole, so `websocket/13` is not
 * `websocket` (RFC 6455 §4.1 sends the bare name).
 */
export function requestedProtocols(upgrade: string | null): UpgradeProtocolName[] {
  const out: UpgradeProtocolName[] = [];
  if (upgrade === null) return out;
  for (const item of upgrade.split(",")) {
    const name = item.trim().toLowerCase();
    if (name === UpgradeProtocol.WEBSOCKET || name === UpgradeProtocol.H2C) out.push(name);
  }
  return out;
}

/** Is `target` (origin-form, as sent) the path `path`, with or without a query? The health path's rule. */
function targetIsPath(target: string, path: string): boolean {
  return target.length === path.length ? target === path : target.startsWith(path) && target.charCodeAt(path.length) === 0x3f;
}

/**
 * `ProtocolSwitch.upgrade` for this configuration, or null when nothing is switched to (no
 * --ws-echo-path and no h2c): then the core keeps its `upgrade` null and no request pays for it.
 */
export function createUpgrade(config: UpgradeConfig, options: UpgradeOptions): ((request: ExchangeRequest) => Upgrade | null) | null {
  const wsPath = config.wsEchoPath;
  const ws = wsPath === null ? null : websocketEcho(config, { clock: options.clock, servedBy: options.servedBy, counters: options.wsCounters ?? null, logged: options.wsLog ?? null });
  const h2c = options.h2c ?? null;
  if (ws === null && h2c === null) return null;
  return (request) => {
    // RFC 9110 §7.8: the server picks one of the listed protocols; the first one offered here wins.
    for (const protocol of requestedProtocols(request.fields.get("upgrade"))) {
      if (protocol === UpgradeProtocol.WEBSOCKET) {
        // Only the echo path speaks WebSocket; elsewhere the request is an ordinary one.
        if (ws !== null && targetIsPath(request.target, wsPath!)) return ws(request);
      } else if (h2c !== null) {
        // The h2c branch (RFC 7540 §3.2): the HTTP/2 integration decides; its null lets a later protocol be tried.
        const up = h2c(request);
        if (up !== null) return up;
      }
    }
    return null;
  };
}

/** The core's `ProtocolSwitch` for this configuration: `{}` (HTTP/1.1 only) when nothing is switched to. */
export function protocolSwitch(config: UpgradeConfig, options: UpgradeOptions): ProtocolSwitch {
  const upgrade = createUpgrade(config, options);
  return upgrade === null ? {} : { upgrade };
}
