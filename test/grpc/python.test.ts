/**
 * Our health and echo messages against Debian's python3-protobuf (test/grpc/proto-python.py builds
 * the message types from descriptors at run time): ours decoded by it, its encodings decoded by ours.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { decodeEchoRequest, encodeEchoIdentity, encodeEchoReply } from "../../src/grpc/echo.ts";
import { HEALTH_RESPONSES, HealthServices, UNKNOWN_SERVICE } from "../../src/grpc/health.ts";
import { fieldsOf, hex, IDENTITY, toHex } from "./helpers.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = join(import.meta.dir, "proto-python.py");
const available = spawnSync(PYTHON, ["-c", "import google.protobuf"]).status === 0;

type Job = { type: string; hex: string } | { type: string; json: unknown };

function python(jobs: Job[]): Record<string, unknown>[] {
  const run = spawnSync(PYTHON, [SCRIPT], { input: jobs.map((j) => JSON.stringify(j)).join("\n") + "\n", encoding: "utf8", timeout: 30_000 });
  if (run.status !== 0) throw new Error(`proto-python.py failed: ${run.stderr}`);
  const lines = run.stdout.split("\n").filter((l) => l.length > 0);
  expect(lines.length).toBe(jobs.length);
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe.skipIf(!available)("against python3-protobuf", () => {
  test("each pre-encoded HealthCheckResponse decodes to its status", () => {
    const jobs = HEALTH_RESPONSES.map((m) => ({ type: "grpc.health.v1.HealthCheckResponse", hex: toHex(m.subarray(5)) }));
    // proto3 JSON leaves the default (UNKNOWN) out.
    expect(python(jobs)).toEqual([{}, { status: "SERVING" }, { status: "NOT_SERVING" }, { status: "SERVICE_UNKNOWN" }]);
  });

  test("HealthCheckRequests python encodes are looked up as named", () => {
    const names = ["", "hello", "grpc.health.v1.Health", "é", "bob"];
    const encoded = python(names.map((service) => ({ type: "grpc.health.v1.HealthCheckRequest", json: { service } })));
    const services = new HealthServices(["hello", "grpc.health.v1.Health", "é"]);
    const found = encoded.map((e) => {
      const bytes = hex(e.hex as string);
      return services.lookup(bytes, 0, bytes.length);
    });
    expect(found).toEqual([0, 1, 2, 3, UNKNOWN_SERVICE]);
  });

  test("EchoRequests python encodes decode to their bytes", () => {
    const messages = ["", "aGk=", Buffer.from(Uint8Array.from({ length: 300 }, (_, i) => i & 0xff)).toString("base64")];
    const encoded = python(messages.map((message) => ({ type: "hello.v1.EchoRequest", json: { message } })));
    encoded.forEach((e, i) => {
      const bytes = hex(e.hex as string);
      const got = decodeEchoRequest(bytes, 0, bytes.length);
      expect(got === null ? null : Buffer.from(got).toString("base64")).toBe(messages[i]!);
    });
  });

  test("an EchoReply decodes field by field", () => {
    const identity = { ...IDENTITY, pod: "pod-1", node: "node-é" };
    const reply = encodeEchoReply(
      {
        message: hex("00ff10"),
        fields: fieldsOf([["user-agent", "grpc-python/1.51"], ["x-trace", "abc"], ["x-trace", "def"]]),
        peer: "[::1]:5000",
        authority: "localhost:8080",
        protocol: "h2c",
      },
      encodeEchoIdentity(identity),
    );
    expect(toHex(reply.subarray(0, 5))).toBe("00" + (reply.length - 5).toString(16).padStart(8, "0"));
    const [decoded] = python([{ type: "hello.v1.EchoReply", hex: toHex(reply.subarray(5)) }]);
    expect(decoded).toEqual({
      message: Buffer.from([0x00, 0xff, 0x10]).toString("base64"),
      metadata: [
        { key: "user-agent", value: "grpc-python/1.51" },
        { key: "x-trace", value: "abc" },
        { key: "x-trace", value: "def" },
      ],
      peer: "[::1]:5000",
      authority: "localhost:8080",
      protocol: "h2c",
      hostname: "h",
      pod: "pod-1",
      namespace: "ns",
      node: "node-é",
      pid: 300,
      runtime: "bun",
      io: "syscall",
    });
  });
});
