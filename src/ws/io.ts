/**
 * The one place src/ws/ takes the socket contract from, so that moving the contract out of
 * src/adapters/ (where it lives for now) changes one line here and nothing else in this folder.
 */
export type { Transport } from "../adapters/types.ts";
