/** A socket's address, the one shape every back end, responder and log line uses. */
export interface SocketAddress {
  /** An IPv4 or IPv6 literal, without brackets. */
  readonly address: string;
  readonly port: number;
}

/**
 * `host:port`, with an IPv6 literal in brackets (RFC 3986 §3.2.2: a colon inside the host
 * would otherwise read as the port separator).
 */
export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** {@link hostPort} of an address, or "" where the back end cannot tell. */
export function formatAddress(a: SocketAddress | null): string {
  return a === null ? "" : hostPort(a.address, a.port);
}
