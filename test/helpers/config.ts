/** Parsing flags in tests: the Config a command line serves with, or the one-line UsageError it is refused with. */
import { expect } from "bun:test";
import { parseCommand, UsageError, type Command, type Config } from "../../src/config.ts";

export function serve(argv: string[], env: Record<string, string> = {}): Config {
  const c: Command = parseCommand(argv, env);
  if (c.kind !== "serve") throw new Error(`expected serve, got ${c.kind}`);
  return c.config;
}

/** The UsageError's message, checked to be one line (the CLI prints it, then exits 2). */
export function usageError(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseCommand(argv, env);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const message = (e as Error).message;
    expect(message).not.toContain("\n");
    expect(message.length).toBeGreaterThan(0);
    return message;
  }
  throw new Error(`no UsageError for ${JSON.stringify(argv)} ${JSON.stringify(env)}`);
}
