/** The run-time state on the supervisor↔worker pipes (src/spawner/protocol.ts): lines both ways, garbage ignored. */
import { expect, test } from "bun:test";
import { encodeMessage, encodeSupervisorMessage, MessageReader, SupervisorMessageReader } from "../../src/spawner/protocol.ts";

test("supervisor → worker: state lines split across chunks, other lines and unknown states ignored", () => {
  const r = new SupervisorMessageReader();
  const line = encodeSupervisorMessage({ kind: "state", state: "sick" });
  expect(r.push(line.slice(0, 10))).toEqual([]);
  expect(r.push(line.slice(10) + "noise\n" + 'hello-server-supervisor {"kind":"state","state":"dead"}\n')).toEqual([{ kind: "state", state: "sick" }]);
  expect(r.push(encodeSupervisorMessage({ kind: "state", state: "unready" }) + encodeSupervisorMessage({ kind: "state", state: "ready" }))).toEqual([
    { kind: "state", state: "unready" },
    { kind: "state", state: "ready" },
  ]);
});

test("worker → supervisor: a state confirmation is its own message, never taken for `ready`", () => {
  const r = new MessageReader();
  expect(r.push(encodeMessage({ kind: "state", state: "sick" }) + encodeMessage({ kind: "ready", port: 8000 }))).toEqual([
    { kind: "state", state: "sick" },
    { kind: "ready", port: 8000 },
  ]);
  expect(r.push('hello-server-worker {"kind":"state","state":"weird"}\n')).toEqual([]);
});
