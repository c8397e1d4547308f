/**
 * Deno's own asynchronous stdout write, for the access log on a stdout that is a socket (a
 * `--workers 1` server whose parent gave it a socketpair, as Bun's and Node's spawn "pipe" does;
 * a journal stream). node:fs's asynchronous write blocks Deno's event loop while the socket is
 * full (2.9.6, measured: no timer fired while it waited, so serving stalled), and a socket cannot
 * be reopened non-blocking through /proc; Deno.stdout.write waits off the event loop (measured:
 * timers kept firing on a full socketpair and a full pipe).
 *
 * Usage: openAccessLog(format, process.env, { stdoutLater: denoStdoutWrite })
 */
export function denoStdoutWrite(bytes: Uint8Array, done: (error: Error | null, written: number) => void): void {
  Deno.stdout.write(bytes).then(
    (written) => done(null, written),
    (error: Error) => done(error, 0),
  );
}
