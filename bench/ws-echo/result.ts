/**
 * What one WebSocket echo run reports, and whether it counts: a run with
 * any failed connection or handshake, wrong echo, frame the client did not
 * ask for, close, error, or echo still missing at the end measured a broken
 * exchange, not an echo's cost, and is invalid. Pure.
 *
 * Usage: const r = parseWsEchoOutput(stdout); r.valid ? r.cpuUsPerMessage : r.invalidReasons
 */
import type { Percentiles } from "../openloop/histogram.ts";

/** Prefix of the one result line on stdout. */
export const WS_ECHO_MARK = "WS_ECHO_RESULT ";

/** Counts of what went wrong, by kind (all zero in a valid run). */
export interface WsEchoErrors {
  /** socket()/connect() failed, or the connection was refused or reset while connecting. */
  connect: number;
  /** The server's answer to the opening handshake was not an accepted WebSocket (see problems). */
  handshake: number;
  /** A read failed, or the server closed the connection (TCP) with an echo outstanding. */
  read: number;
  /** A send did not take the whole frame. */
  write: number;
  /** An echo whose frame or bytes differ from the message sent (see problems). */
  wrongEcho: number;
  /** A close frame from the server. */
  closed: number;
  /** A frame the client did not ask for (ping, a second frame, a fragment). */
  unexpected: number;
  /** Echoes still missing when the drain time after the run ran out. */
  timeout: number;
}

export interface WsEchoResult {
  url: string;
  connections: number;
  /** Bytes of each text message. */
  messageBytes: number;
  warmupS: number;
  durationS: number;
  /** Measured window actually spanned (µs): from the first check at or past the warm-up's end to the first at or past the window's end. */
  windowUs: number;
  /** Echoes received and verified within the window. */
  messages: number;
  messagesPerS: number;
  /** Every echo received and verified, warm-up and drain included. */
  echoed: number;
  /** Round trip of the messages in the window, from the send to the whole echo read. */
  roundTripUs: Percentiles;
  /** Server pids measured (each with its descendants); empty when none were given. */
  serverPids: number[];
  /** Server CPU time (utime+stime, /proc) over the window, and per echoed message; null without pids. */
  serverCpuUs: number | null;
  cpuUsPerMessage: number | null;
  /** The generator's own CPU time and wall time over the whole run (µs). */
  generatorCpuUs: number;
  wallUs: number;
  errors: WsEchoErrors;
  /** What went wrong, in words, with how often. */
  problems: Record<string, number>;
  valid: boolean;
  invalidReasons: string[];
}

/** Everything that makes a run not count, in words; empty = valid. */
export function wsEchoInvalidReasons(r: Omit<WsEchoResult, "valid" | "invalidReasons">): string[] {
  const reasons: string[] = [];
  if (r.messages === 0) reasons.push("no echo in the measured window");
  for (const [why, n] of Object.entries(r.problems)) reasons.push(`${n}× ${why}`);
  // Every error is recorded with its problem; this catches a result whose counts and words disagree.
  const errors = Object.values(r.errors).reduce((a, b) => a + b, 0);
  if (errors > 0 && Object.keys(r.problems).length === 0) reasons.push(`${errors} errors`);
  return reasons;
}

/** The result from a generator's stdout (the line after WS_ECHO_MARK). */
export function parseWsEchoOutput(stdout: string): WsEchoResult {
  const line = stdout.split("\n").find((l) => l.startsWith(WS_ECHO_MARK));
  if (line === undefined) throw new Error(`no ${WS_ECHO_MARK.trim()} line in the generator's output`);
  return JSON.parse(line.slice(WS_ECHO_MARK.length)) as WsEchoResult;
}
