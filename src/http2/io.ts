/**
 * The one place src/http2/ names the socket contract, so that where it lives
 * is a one-line change.
 */
export type { Transport } from "../contract/socket.ts";
export type { Session } from "../contract/session.ts";
