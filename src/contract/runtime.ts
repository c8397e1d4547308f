/** The runtimes hello-server runs on; src/runtime.ts's detectRuntime() tells which one this is. */
export type RuntimeName = "bun" | "deno" | "node";
