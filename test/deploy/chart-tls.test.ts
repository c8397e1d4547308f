/**
 * The chart's HTTPS values (issue 19): the certificate from a kubernetes.io/tls Secret mounted
 * read-only (TLS_CERT, TLS_KEY), probes with scheme HTTPS when server.port serves HTTPS only,
 * an `https` port on the pod and the Service with tls.port, mutual TLS refused without
 * tls.port (the kubelet's probes carry no client certificate); every rendering validated.
 */
import { expect, test } from "bun:test";
import { helm } from "./helm.ts";
import { type K8sObject, parseManifests, validateObject } from "./validate.ts";

const CHART = "deploy/helm/hello-server";

function render(...args: string[]): K8sObject[] {
  const r = helm(["template", "hello-server", CHART, ...args]);
  if (r.status !== 0) throw new Error(`helm template ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return parseManifests(r.stdout);
}

interface Probe {
  httpGet: { path: string; port: string; scheme?: string };
}
interface Container {
  env: { name: string; value?: string }[];
  ports: { name: string; containerPort: number }[];
  readinessProbe: Probe;
  livenessProbe: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext: { readOnlyRootFilesystem: boolean };
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string } }[];
}

function podSpec(objects: K8sObject[]): PodSpec {
  const d = objects.find((o) => o.kind === "Deployment")!;
  return (d.spec as { template: { spec: PodSpec } }).template.spec;
}

function env(c: Container): Record<string, string | undefined> {
  return Object.fromEntries(c.env.map((e) => [e.name, e.value]));
}

async function valid(objects: K8sObject[]): Promise<void> {
  for (const o of objects) expect(await validateObject(o)).toEqual([]);
}

test("defaults: no TLS variable, volume or scheme", () => {
  const spec = podSpec(render());
  const c = spec.containers[0]!;
  expect(Object.keys(env(c)).filter((n) => n.startsWith("TLS_"))).toEqual([]);
  expect(spec.volumes).toBeUndefined();
  expect(c.readinessProbe.httpGet.scheme).toBeUndefined();
});

test("tls.secretName alone: HTTPS on server.port from the mounted Secret, probes with scheme HTTPS, root filesystem still read-only", async () => {
  const objects = render("--set", "tls.secretName=hello-tls");
  await valid(objects);
  const spec = podSpec(objects);
  const c = spec.containers[0]!;
  expect(env(c)).toMatchObject({ TLS_CERT: "/etc/hello-server/tls/tls.crt", TLS_KEY: "/etc/hello-server/tls/tls.key" });
  expect(env(c).TLS_PORT).toBeUndefined();
  expect(spec.volumes).toEqual([{ name: "tls", secret: { secretName: "hello-tls" } }]);
  expect(c.volumeMounts).toEqual([{ name: "tls", mountPath: "/etc/hello-server/tls", readOnly: true }]);
  expect(c.readinessProbe.httpGet).toMatchObject({ port: "http", scheme: "HTTPS" });
  expect(c.livenessProbe.httpGet).toMatchObject({ port: "http", scheme: "HTTPS" });
  expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
});

test("tls.port and mutual TLS: an https port on the pod and the Service, TLS_CLIENT_CA from the Secret, probes on the plain port", async () => {
  const objects = render("--set", "tls.secretName=hello-tls", "--set", "tls.port=8443", "--set", "tls.clientCaKey=ca.crt");
  await valid(objects);
  const c = podSpec(objects).containers[0]!;
  expect(env(c)).toMatchObject({ TLS_PORT: "8443", TLS_CLIENT_CA: "/etc/hello-server/tls/ca.crt" });
  expect(c.ports.map((p) => [p.name, p.containerPort])).toContainEqual(["https", 8443]);
  expect(c.readinessProbe.httpGet.scheme).toBeUndefined();
  const service = objects.find((o) => o.kind === "Service")!;
  expect((service.spec as { ports: { name: string; port: number }[] }).ports.map((p) => p.name)).toEqual(["http", "https"]);
});

test("mutual TLS without tls.port, or a client CA without a Secret, fails to render with a reason", () => {
  const noPort = helm(["template", "hello-server", CHART, "--set", "tls.secretName=hello-tls", "--set", "tls.clientCaKey=ca.crt"]);
  expect(noPort.status).not.toBe(0);
  expect(noPort.stderr).toContain("tls.clientCaKey needs tls.port");
  const noSecret = helm(["template", "hello-server", CHART, "--set", "tls.clientCaKey=ca.crt", "--set", "tls.port=8443"]);
  expect(noSecret.status).not.toBe(0);
  expect(noSecret.stderr).toContain("tls.clientCaKey needs tls.secretName");
});
