/**
 * The chart's gRPC values: probes.grpc switches readiness and liveness to the kubelet's gRPC
 * probe on server.port (by number: the probe takes no port name), refused where it cannot work
 * (a TLS-only server.port: the probe is plaintext; http2.mode off: no gRPC); grpc.services is
 * GRPC_SERVICE. Every rendering validated.
 */
import { expect, test } from "bun:test";
import { helm } from "./helm.ts";
import { type K8sObject, parseManifests, validateObject } from "./validate.ts";

const CHART = "deploy/helm/hello-server";

interface Probe {
  grpc?: { port: number; service?: string };
  httpGet?: { path: string; port: string };
  exec?: { command: string[] };
}
interface Container {
  env: { name: string; value?: string }[];
  readinessProbe: Probe;
  livenessProbe: Probe;
}

function template(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return helm(["template", "hello-server", CHART, ...args]);
}

function container(objects: K8sObject[]): Container {
  const d = objects.find((o) => o.kind === "Deployment")!;
  return (d.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]!;
}

function render(...args: string[]): K8sObject[] {
  const r = template(...args);
  if (r.status !== 0) throw new Error(`helm template ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return parseManifests(r.stdout);
}

test("defaults: httpGet probes, no GRPC_SERVICE", () => {
  const c = container(render());
  expect(c.readinessProbe.grpc).toBeUndefined();
  expect(c.readinessProbe.httpGet?.port).toBe("http");
  expect(c.env.some((e) => e.name === "GRPC_SERVICE")).toBe(false);
});

test("probes.grpc: both probes are the kubelet's gRPC probe on server.port; the timings kept; valid", async () => {
  const objects = render("--set", "probes.grpc=true", "--set", "server.port=9000");
  for (const o of objects) expect(await validateObject(o)).toEqual([]);
  const c = container(objects);
  for (const p of [c.readinessProbe, c.livenessProbe]) {
    expect(p.grpc).toEqual({ port: 9000 });
    expect(p.httpGet).toBeUndefined();
    expect(p.exec).toBeUndefined();
  }
  expect((c.readinessProbe as { periodSeconds?: number }).periodSeconds).toBe(2);
});

test("probes.grpc with http2.mode only: still the gRPC probe (it is HTTP/2)", () => {
  const c = container(render("--set", "probes.grpc=true", "--set", "http2.mode=only"));
  expect(c.livenessProbe.grpc).toBeDefined();
});

test("probes.grpc with TLS beside plain HTTP (tls.port): allowed, on the plain server.port", () => {
  const c = container(render("--set", "probes.grpc=true", "--set", "tls.secretName=hello-tls", "--set", "tls.port=8443"));
  expect(c.readinessProbe.grpc).toEqual({ port: 8000 });
});

test("probes.grpc refused with a TLS-only server.port, and with http2.mode off", () => {
  const tlsOnly = template("--set", "probes.grpc=true", "--set", "tls.secretName=hello-tls");
  expect(tlsOnly.status).not.toBe(0);
  expect(tlsOnly.stderr).toContain("probes.grpc needs a plaintext serving port");
  const off = template("--set", "probes.grpc=true", "--set", "http2.mode=off");
  expect(off.status).not.toBe(0);
  expect(off.stderr).toContain("probes.grpc needs HTTP/2");
});

test("grpc.services: GRPC_SERVICE, comma-separated", () => {
  const c = container(render("--set", "grpc.services={hello.v1.Echo,foo.Bar}"));
  expect(c.env.find((e) => e.name === "GRPC_SERVICE")?.value).toBe("hello.v1.Echo,foo.Bar");
});
