// The part of Deno's stdout that adapters/deno-stdout.ts uses (Deno 2.9: Deno.stdout is a Writer).
declare namespace Deno {
  const stdout: { write(bytes: Uint8Array): Promise<number> };
}
