/**
 * The chart's issue-18 values (test/deploy/chart.test.ts checks the rest): echo and
 * X-Served-By as variables, the Downward API's POD_NAMESPACE and NODE_NAME that echo shows,
 * and `metrics.enabled`: the container and Service `metrics` port, the `prometheus.io/*` pod
 * annotations, and the optional Prometheus Operator ServiceMonitor (validated as a CRD object
 * where the validator knows the kind, skipped with a line saying so where it does not).
 */
import { describe, expect, test } from "bun:test";
import { helm } from "./helm.ts";
import { type K8sObject, parseManifests, validateObject } from "./validate.ts";

const CHART = "deploy/helm/hello-server";

function render(...args: string[]): K8sObject[] {
  const r = helm(["template", "hello-server", CHART, ...args]);
  if (r.status !== 0) throw new Error(`helm template ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return parseManifests(r.stdout);
}

function one(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  expect(found.map((o) => o.kind)).toEqual([kind]);
  return found[0]!;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Pod {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: { env: EnvVar[]; ports: { name: string; containerPort: number; protocol: string }[] }[] };
}

function pod(objects: K8sObject[]): Pod {
  return (one(objects, "Deployment").spec as { template: Pod }).template;
}

function vars(objects: K8sObject[]): Map<string, EnvVar> {
  return new Map(pod(objects).spec.containers[0]!.env.map((e) => [e.name, e]));
}

/** Kinds the Kubernetes schemas of test/deploy/validate.ts do not carry (CRDs). */
const UNKNOWN_KIND = /no schema for/;

async function validate(objects: K8sObject[]): Promise<string[]> {
  const found: string[] = [];
  for (const o of objects) {
    const problems = await validateObject(o);
    if (problems.length === 1 && UNKNOWN_KIND.test(problems[0]!)) {
      console.warn(`SKIPPED schema validation of ${o.apiVersion} ${o.kind}: ${problems[0]}`);
      continue;
    }
    found.push(...problems);
  }
  return found;
}

const METRICS = ["--set", "metrics.enabled=true"];

describe("chart: echo, X-Served-By, metrics (issue 18)", () => {
  test("defaults: no metrics port, annotation, variable or ServiceMonitor", () => {
    const objects = render();
    expect(objects.map((o) => o.kind).sort()).toEqual(["Deployment", "PodDisruptionBudget", "Service"]);
    const env = vars(objects);
    for (const name of ["ECHO_PATH", "SERVED_BY", "METRICS_PORT", "POD_NAMESPACE", "NODE_NAME"]) expect(env.has(name)).toBe(false);
    expect(pod(objects).spec.containers[0]!.ports.map((p) => p.name)).toEqual(["http"]);
    expect(pod(objects).metadata.annotations).toBeUndefined();
  });

  test("server.echoPath and server.servedBy become ECHO_PATH and SERVED_BY; echo adds POD_NAMESPACE and NODE_NAME from the Downward API", async () => {
    const objects = render("--set", "server.echoPath=/echo", "--set", "server.servedBy=true");
    const env = vars(objects);
    expect(env.get("ECHO_PATH")?.value).toBe("/echo");
    expect(env.get("SERVED_BY")?.value).toBe("1");
    expect(env.get("POD_NAMESPACE")).toEqual({ name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } });
    expect(env.get("NODE_NAME")).toEqual({ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } });
    expect(pod(objects).spec.containers[0]!.env[0]!.name).toBe("POD_NAME");
    expect(await validate(objects)).toEqual([]);
  });

  test("server.wsEchoPath, wsMaxMessage, wsPingInterval, accessLog and echoMaxBody become their variables, absent by default; all valid", async () => {
    const names = ["WS_ECHO_PATH", "WS_MAX_MESSAGE", "WS_PING_INTERVAL", "ACCESS_LOG", "ECHO_MAX_BODY"];
    const defaults = vars(render());
    for (const name of names) expect(defaults.has(name)).toBe(false);
    const objects = render(
      "--set", "server.wsEchoPath=/ws", "--set", "server.wsMaxMessage=64k", "--set", "server.wsPingInterval=30s",
      "--set", "server.accessLog=json", "--set", "server.echoMaxBody=16k",
    );
    const env = vars(objects);
    expect(names.map((n) => env.get(n)?.value)).toEqual(["/ws", "64k", "30s", "json", "16k"]);
    expect(await validate(objects)).toEqual([]);
  });

  test("metrics.enabled: METRICS_PORT, the metrics port on the pod and the Service, prometheus.io annotations; all valid", async () => {
    const objects = render(...METRICS, "--set-json", 'podAnnotations={"team":"web"}');
    expect(vars(objects).get("METRICS_PORT")?.value).toBe("9797");
    expect(pod(objects).spec.containers[0]!.ports).toContainEqual({ name: "metrics", containerPort: 9797, protocol: "TCP" });
    const service = one(objects, "Service").spec as { ports: { name: string; port: number; targetPort: string }[] };
    expect(service.ports.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ["http", 80, "http"],
      ["metrics", 9797, "metrics"],
    ]);
    expect(pod(objects).metadata.annotations).toEqual({ team: "web", "prometheus.io/scrape": "true", "prometheus.io/port": "9797", "prometheus.io/path": "/metrics" });
    expect(objects.some((o) => o.kind === "ServiceMonitor")).toBe(false);
    expect(await validate(objects)).toEqual([]);
    // Without the annotations (a ServiceMonitor scrapes instead).
    expect(pod(render(...METRICS, "--set", "metrics.podAnnotations=false")).metadata.annotations).toBeUndefined();
  });

  test("metrics.serviceMonitor.enabled: a ServiceMonitor selecting the Service by its labels, scraping its metrics port", async () => {
    const objects = render(...METRICS, "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.interval=30s", "--set-json", 'metrics.serviceMonitor.labels={"release":"prometheus"}');
    const monitor = one(objects, "ServiceMonitor");
    expect(monitor.apiVersion).toBe("monitoring.coreos.com/v1");
    expect((monitor.metadata as { labels: Record<string, string> }).labels.release).toBe("prometheus");
    const spec = monitor.spec as { selector: { matchLabels: Record<string, string> }; endpoints: unknown[] };
    expect(spec.endpoints).toEqual([{ port: "metrics", path: "/metrics", interval: "30s" }]);
    const service = one(objects, "Service");
    expect((service.metadata as { labels: Record<string, string> }).labels).toMatchObject(spec.selector.matchLabels);
    expect(await validate(objects)).toEqual([]);
    // Only with metrics on: a ServiceMonitor of a port that does not exist would scrape nothing.
    expect(render("--set", "metrics.serviceMonitor.enabled=true").some((o) => o.kind === "ServiceMonitor")).toBe(false);
  });

  test("values.schema.json refuses a bad metrics port, interval or echo path", () => {
    for (const args of [
      ["--set", "metrics.port=70000"],
      ["--set", "metrics.serviceMonitor.interval=soon"],
      ["--set", "server.echoPath=echo"],
      ["--set", "metrics.enabeld=true"],
    ]) {
      const r = helm(["template", "hello-server", CHART, ...args]);
      expect({ args, status: r.status }).not.toEqual({ args, status: 0 });
    }
  });
});
