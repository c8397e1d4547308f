/** grpc.health.v1: the pre-encoded answers as hand-written bytes, the state mapping, request lookup cases as data, the Watch hub. */
import { describe, expect, test } from "bun:test";
import { HEALTH_RESPONSES, HealthServices, MALFORMED_REQUEST, servingStatusOf, ServingStatus, UNKNOWN_SERVICE, WatchHub, type HealthState } from "../../src/grpc/health.ts";
import { hex, toHex } from "./helpers.ts";

describe("answers", () => {
  test("each HealthCheckResponse with its prefix, byte for byte", () => {
    expect(HEALTH_RESPONSES.map(toHex)).toEqual(["0000000000", "00000000020801", "00000000020802", "00000000020803"]);
  });

  test("state → serving status: ready and sick SERVING, unready and shutdown NOT_SERVING", () => {
    const states: HealthState[] = ["ready", "sick", "unready", "shutdown"];
    expect(states.map(servingStatusOf)).toEqual([ServingStatus.SERVING, ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.NOT_SERVING]);
  });
});

describe("HealthCheckRequest lookup", () => {
  const services = new HealthServices(["hello", "grpc.health.v1.Health", "hello"]);
  const CASES: readonly [string, string, number][] = [
    ["empty message: the server", "", 0],
    ["service '' written out", "0a00", 0],
    ["hello", "0a0568656c6c6f", 1],
    ["a name cut short (21 announced, 8 there)", "0a156772706320686561", MALFORMED_REQUEST],
    ["grpc.health.v1.Health in full", "0a15" + toHex(new TextEncoder().encode("grpc.health.v1.Health")), 2],
    ["unknown name", "0a03626f62", UNKNOWN_SERVICE],
    ["a prefix of a known name", "0a0468656c6c", UNKNOWN_SERVICE],
    ["the last repeated field wins", "0a03626f62 0a0568656c6c6f", 1],
    ["unknown fields of every wire type are skipped", "1001 19 0102030405060708 2a0178 35 01020304 0a0568656c6c6f", 1],
    ["field 1 as a varint", "0801", MALFORMED_REQUEST],
    ["a group", "0b0c", MALFORMED_REQUEST],
    ["a name that is not UTF-8", "0a01ff", MALFORMED_REQUEST],
  ];
  for (const [name, wire, expected] of CASES) {
    test(name, () => {
      const bytes = hex(wire);
      expect(services.lookup(bytes, 0, bytes.length)).toBe(expected);
    });
  }

  test("looks only inside [start, end)", () => {
    const bytes = hex("ff 0a0568656c6c6f ff");
    expect(services.lookup(bytes, 1, 8)).toBe(1);
    expect(services.lookup(bytes, 1, 1)).toBe(0);
  });
});

function recorder() {
  const got: string[] = [];
  return {
    got,
    subscriber: { message: (m: Uint8Array) => got.push(toHex(m.subarray(5))), end: () => got.push("end") },
  };
}

describe("WatchHub", () => {
  test("the current status at once, then every change, none for a change that keeps the status", () => {
    const hub = new WatchHub("ready");
    const a = recorder();
    hub.subscribe(true, a.subscriber);
    hub.setState("sick");
    hub.setState("unready");
    hub.setState("unready");
    hub.setState("ready");
    expect(a.got).toEqual(["0801", "0802", "0801"]);
  });

  test("an unknown service hears SERVICE_UNKNOWN once and stays open; drain ends everyone cleanly", () => {
    const hub = new WatchHub("ready");
    const known = recorder();
    const unknown = recorder();
    hub.subscribe(true, known.subscriber);
    hub.subscribe(false, unknown.subscriber);
    hub.setState("unready");
    hub.setState("ready");
    expect(unknown.got).toEqual(["0803"]);
    expect(hub.size).toBe(2);
    hub.drain();
    expect(known.got).toEqual(["0801", "0802", "0801", "0802", "end"]);
    expect(unknown.got).toEqual(["0803", "end"]);
    expect(hub.size).toBe(0);
  });

  test("a stream that went away hears nothing more", () => {
    const hub = new WatchHub("unready");
    const a = recorder();
    const b = recorder();
    const leave = hub.subscribe(true, a.subscriber);
    hub.subscribe(true, b.subscriber);
    leave();
    hub.setState("ready");
    expect(a.got).toEqual(["0802"]);
    expect(b.got).toEqual(["0802", "0801"]);
  });

  test("after drain a new stream gets the status and ends at once", () => {
    const hub = new WatchHub("ready");
    hub.drain();
    const a = recorder();
    hub.subscribe(true, a.subscriber);
    expect(a.got).toEqual(["0802", "end"]);
    expect(hub.size).toBe(0);
  });
});
