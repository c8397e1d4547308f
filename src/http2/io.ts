/**
 * The one place src/http2/ names the socket contract, so that moving it
 * (out of src/adapters/ into a runtime-neutral folder) is a one-line change.
 */
export type { Transport } from "../adapters/types.ts";
