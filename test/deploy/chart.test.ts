/**
 * The Helm chart (deploy/helm/hello-server) and the manifest rendered from it
 * (deploy/kubernetes.yaml), checked with a real Helm binary (test/deploy/helm.ts) and
 * Kubernetes' OpenAPI schemas with unknown fields refused (test/deploy/validate.ts).
 * test/kube.sh runs the rendered Deployment under `podman kube play`.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, helm } from "./helm.ts";
import { type K8sObject, parseManifests, validateObject } from "./validate.ts";
import { parseCommand, type Config } from "../../src/config.ts";

const CHART = "deploy/helm/hello-server";
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** `helm template hello-server <chart> <args>`: the objects, or the failure's stderr. */
function render(...args: string[]): K8sObject[] {
  const r = helm(["template", "hello-server", CHART, ...args]);
  if (r.status !== 0) throw new Error(`helm template ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return parseManifests(r.stdout);
}

/** stderr of a `helm template` that must fail. */
function renderFails(...args: string[]): string {
  const r = helm(["template", "hello-server", CHART, ...args]);
  expect(r.status).not.toBe(0);
  return r.stderr;
}

function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  expect(found.map((o) => o.kind)).toEqual([kind]);
  return found[0]!;
}

// Typed views of the fields the tests read (the schemas checked the rest).
interface Probe {
  httpGet: { path: string; port: string | number };
  periodSeconds: number;
  failureThreshold: number;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { resourceFieldRef?: { resource: string; divisor: string | number }; fieldRef?: { fieldPath: string } };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  env: EnvVar[];
  ports: { name: string; containerPort: number }[];
  readinessProbe: Probe;
  livenessProbe: Probe;
  resources: { limits?: Record<string, string>; requests?: Record<string, string> };
  securityContext: Record<string, unknown>;
}
interface PodSpec {
  automountServiceAccountToken: boolean;
  enableServiceLinks: boolean;
  terminationGracePeriodSeconds: number;
  securityContext: Record<string, unknown>;
  containers: Container[];
  topologySpreadConstraints: { labelSelector: { matchLabels: Record<string, string> }; topologyKey: string }[];
}
interface DeploymentSpec {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  strategy: { type: string; rollingUpdate: { maxUnavailable: number; maxSurge: number } };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

function deploymentSpec(objects: K8sObject[]): DeploymentSpec {
  return only(objects, "Deployment").spec as DeploymentSpec;
}

function env(container: Container): Map<string, EnvVar> {
  return new Map(container.env.map((e) => [e.name, e]));
}

/** Validation problems of every object, as one list (empty = all valid). */
async function problems(objects: K8sObject[]): Promise<string[]> {
  return (await Promise.all(objects.map(validateObject))).flat();
}

describe("helm", () => {
  test("helm lint --strict passes", () => {
    const r = helm(["lint", "--strict", CHART]);
    console.log(r.stdout.trim());
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("1 chart(s) linted, 0 chart(s) failed");
    // The optional objects too (lint renders the templates with these values).
    const withAll = helm(["lint", "--strict", CHART, "--set", "replicaCount=3", "--set", "autoscaling.enabled=true", "--set", "service.type=NodePort"]);
    expect(withAll.status).toBe(0);
    expect(withAll.stdout).toContain("0 chart(s) failed");
  });

  test("deploy/kubernetes.yaml is exactly `helm template hello-server` with the default values (bash deploy/render.sh)", () => {
    const r = helm(["template", "hello-server", CHART]);
    expect(r.status).toBe(0);
    expect(readFileSync(join(ROOT, "deploy/kubernetes.yaml"), "utf8")).toBe(r.stdout);
  });

  test("`helm install --dry-run=client` (the README's command, without a cluster) prints the notes", () => {
    const r = helm(["install", "hello-server", CHART, "--dry-run=client"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("kubectl rollout status deployment/hello-server -n default");
    expect(r.stdout).not.toContain("WARNING");
    // Without a CPU limit the Downward API gives the node's CPUs: the notes say so.
    const unlimited = helm(["install", "hello-server", CHART, "--dry-run=client", "--set", "resources.limits=null"]);
    expect(unlimited.status).toBe(0);
    expect(unlimited.stdout).toContain("WARNING: no CPU limit and no server.workers");
  });

  test("the chart's appVersion and default image tag are the server's version", () => {
    expect(readFileSync(join(ROOT, CHART, "Chart.yaml"), "utf8")).toContain(`appVersion: "${PACKAGE_VERSION}"`);
    expect(deploymentSpec(render()).template.spec.containers[0]!.image).toBe(`hello-server:${PACKAGE_VERSION}`);
  });
});

describe("validation against Kubernetes' OpenAPI schemas, unknown fields refused", () => {
  const fixture = (name: string) => parseManifests(readFileSync(join(import.meta.dir, "fixtures", name), "utf8"));

  test("a misspelled spec.replicaz fails", async () => {
    expect(await problems(fixture("misspelled-replicas.yaml"))).toEqual(["Deployment/misspelled: unknown field spec.replicaz"]);
  });

  test("a misspelled readinessProbe.httpGett fails", async () => {
    expect(await problems(fixture("misspelled-probe.yaml"))).toEqual([
      "Deployment/misspelled: unknown field spec.template.spec.containers[0].readinessProbe.httpGett",
    ]);
  });

  test("a port given as a word fails the schema's type", async () => {
    const found = await problems(fixture("wrong-type.yaml"));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^Service\/wrong-type: .*\/spec\/ports\/0\/port/);
  });

  test("a kind kubernetes-models has no schema for fails", async () => {
    expect(await problems([{ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }])).toEqual([
      "Widget/w: no schema for example.com/v1 Widget in kubernetes-models (kubernetes-models/example.com/v1/Widget)",
    ]);
  });

  test("the default render: PodDisruptionBudget, Service, Deployment, all valid", async () => {
    const objects = render();
    expect(objects.map((o) => `${o.apiVersion} ${o.kind}`).sort()).toEqual(["apps/v1 Deployment", "policy/v1 PodDisruptionBudget", "v1 Service"]);
    expect(await problems(objects)).toEqual([]);
  });

  test("non-default values render valid objects", async () => {
    const variants: string[][] = [
      ["--set", "replicaCount=1"],
      ["--set", "replicaCount=3"],
      ["--set", "autoscaling.enabled=true"],
      ["--set", "service.type=NodePort", "--set", "service.nodePort=30080"],
      ["--set", "server.workers=4", "--set-json", 'server.headers=["X-Pod: $(POD_NAME)"]', "--set-json", 'server.extraArgs=["--idle-timeout","30"]'],
      ["--set-json", 'extraEnv=[{"name":"NODE_NAME","valueFrom":{"fieldRef":{"fieldPath":"spec.nodeName"}}}]', "--set", "server.body=hello from $(NODE_NAME)"],
      ["--set", "terminationGracePeriodSeconds=60", "--set", "server.shutdownDelay=20"],
    ];
    for (const args of variants) {
      const found = await problems(render(...args));
      expect({ args, found }).toEqual({ args, found: [] });
    }
  });
});

describe("the Deployment", () => {
  const objects = render();
  const spec = deploymentSpec(objects);
  const pod = spec.template.spec;
  const container = pod.containers[0]!;
  const vars = env(container);

  test("rolling update with maxUnavailable 0", () => {
    expect(spec.strategy.type).toBe("RollingUpdate");
    expect(spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(spec.strategy.rollingUpdate.maxSurge).toBeGreaterThan(0);
  });

  test("terminationGracePeriodSeconds > shutdown delay + shutdown timeout", () => {
    const delay = Number(vars.get("SHUTDOWN_DELAY")?.value);
    const timeout = Number(vars.get("SHUTDOWN_TIMEOUT")?.value);
    expect(delay).toBe(5);
    expect(timeout).toBe(5);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(delay + timeout);
    // Computed from the values when not given.
    const longer = deploymentSpec(render("--set", "server.shutdownDelay=20")).template.spec;
    expect(longer.terminationGracePeriodSeconds).toBe(20 + 5 + 5);
  });

  test("a terminationGracePeriodSeconds too short for the drain fails to render", () => {
    expect(renderFails("--set", "terminationGracePeriodSeconds=10")).toContain(
      "terminationGracePeriodSeconds (10) must be larger than server.shutdownDelay + server.shutdownTimeout (10)",
    );
  });

  test("readiness and liveness probes: httpGet on the health path, on the container's http port", () => {
    expect(vars.get("HEALTH_PATH")?.value).toBe("/healthz");
    expect(container.ports).toEqual([{ name: "http", containerPort: 8000, protocol: "TCP" } as never]);
    expect(vars.get("PORT")?.value).toBe("8000");
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe.httpGet).toEqual({ path: "/healthz", port: "http" });
    }
    // A draining pod answers 503 on the health path: readiness drops it, liveness must not kill it.
    expect(container.livenessProbe.periodSeconds * container.livenessProbe.failureThreshold).toBeGreaterThan(5 + 5);
    expect(renderFails("--set", "probes.liveness.periodSeconds=2")).toContain("probes.liveness.periodSeconds × failureThreshold (6 s) must exceed");
  });

  test("WORKERS from the container's CPU limit through the Downward API, with a CPU limit set", () => {
    expect(vars.get("WORKERS")).toEqual({ name: "WORKERS", valueFrom: { resourceFieldRef: { resource: "limits.cpu", divisor: "1" } } });
    expect(container.resources.limits?.cpu).toBe("1");
    expect(container.resources.requests?.cpu).toBeDefined();
    const fixed = env(deploymentSpec(render("--set", "server.workers=3")).template.spec.containers[0]!);
    expect(fixed.get("WORKERS")).toEqual({ name: "WORKERS", value: "3" });
  });

  test("restricted Pod Security level", () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  test("no service account token, no service links; POD_NAME first", () => {
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(container.env[0]).toEqual({ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
    // The server reads none of the HELLO_SERVER_* variables a Service named hello-server would inject.
    expect([...vars.keys()].filter((k) => k.startsWith("HELLO_SERVER_"))).toEqual([]);
  });

  test("topology spread over nodes, selecting this release's pods", () => {
    expect(pod.topologySpreadConstraints).toHaveLength(1);
    expect(pod.topologySpreadConstraints[0]!.topologyKey).toBe("kubernetes.io/hostname");
    expect(pod.topologySpreadConstraints[0]!.labelSelector.matchLabels).toEqual(spec.selector.matchLabels);
  });

  test("the Service selects the pods and targets the http port", () => {
    const service = only(objects, "Service").spec as { selector: Record<string, string>; ports: { port: number; targetPort: string }[] };
    expect(service.selector).toEqual(spec.selector.matchLabels);
    expect(spec.template.metadata.labels).toMatchObject(service.selector);
    expect(service.ports).toEqual([{ name: "http", port: 80, targetPort: "http", protocol: "TCP" } as never]);
  });

  test("headers and extra flags become arguments; $(POD_NAME) is left for Kubernetes to expand", () => {
    const c = deploymentSpec(
      render("--set-json", 'server.headers=["X-Pod: $(POD_NAME)"]', "--set-json", 'server.extraArgs=["--idle-timeout","30"]'),
    ).template.spec.containers[0]!;
    expect(c.args).toEqual(["--header", "X-Pod: $(POD_NAME)", "--idle-timeout", "30"]);
    expect(container.args).toBeUndefined();
  });
});

describe("PodDisruptionBudget and HPA", () => {
  test("PDB only with more than one replica", () => {
    expect(render("--set", "replicaCount=1").filter((o) => o.kind === "PodDisruptionBudget")).toEqual([]);
    const pdb = only(render("--set", "replicaCount=3"), "PodDisruptionBudget");
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1, selector: { matchLabels: deploymentSpec(render()).selector.matchLabels } });
  });

  test("HPA (autoscaling/v2, CPU utilisation) when enabled; the Deployment then leaves replicas to it", () => {
    expect(render().filter((o) => o.kind === "HorizontalPodAutoscaler")).toEqual([]);
    const objects = render("--set", "autoscaling.enabled=true", "--set", "autoscaling.maxReplicas=6");
    const hpa = only(objects, "HorizontalPodAutoscaler");
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "hello-server" },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
    });
    expect(deploymentSpec(objects).replicas).toBeUndefined();
    // minReplicas 2 > 1: the PDB is there too; with minReplicas 1 it is not.
    only(objects, "PodDisruptionBudget");
    expect(render("--set", "autoscaling.enabled=true", "--set", "autoscaling.minReplicas=1").filter((o) => o.kind === "PodDisruptionBudget")).toEqual([]);
    expect(renderFails("--set", "autoscaling.enabled=true", "--set", "autoscaling.minReplicas=11")).toContain("must not exceed autoscaling.maxReplicas");
  });
});

describe("values.schema.json", () => {
  test("a misspelled value is refused", () => {
    expect(renderFails("--set", "replicaz=3")).toContain("additional properties 'replicaz' not allowed");
    expect(renderFails("--set", "server.healthpath=/x")).toContain("additional properties 'healthpath' not allowed");
  });

  test("values the server would refuse are refused", () => {
    expect(renderFails("--set", "server.status=204")).toContain("/server/status");
    expect(renderFails("--set", "server.healthPath=healthz")).toContain("/server/healthPath");
    expect(renderFails("--set", "server.logFormat=xml")).toContain("/server/logFormat");
    expect(renderFails("--set", "server.workers=0")).toContain("/server/workers");
  });
});

describe("steering values (issue 17): request control, faults, the admin listener", () => {
  const STEER_VARS = ["REQUEST_CONTROL", "MAX_DELAY", "MAX_SIZE", "FAIL_RATE", "FAIL_STATUS", "DELAY", "RESET_RATE", "SEED", "ADMIN_PORT"];
  const steered = [
    "--set", "server.requestControl=true", "--set", "server.maxDelay=10s", "--set", "server.maxSize=1M",
    "--set", "faults.failRate=0.05", "--set", "faults.failStatus=502", "--set", "faults.delay=100ms..2s",
    "--set", "faults.resetRate=0.01", "--set", "faults.seed=42", "--set", "admin.enabled=true",
  ];

  test("off by default: none of their variables, so the server keeps its prebuilt answer", () => {
    const vars = env(deploymentSpec(render()).template.spec.containers[0]!);
    expect(STEER_VARS.filter((name) => vars.has(name))).toEqual([]);
  });

  test("set, they become the flags' variables, in objects that validate; the admin port is no container port (loopback only)", async () => {
    const objects = render(...steered);
    expect(await problems(objects)).toEqual([]);
    const container = deploymentSpec(objects).template.spec.containers[0]!;
    const vars = env(container);
    expect(Object.fromEntries(STEER_VARS.map((name) => [name, vars.get(name)?.value]))).toEqual({
      REQUEST_CONTROL: "1", MAX_DELAY: "10s", MAX_SIZE: "1M", FAIL_RATE: "0.05", FAIL_STATUS: "502",
      DELAY: "100ms..2s", RESET_RATE: "0.01", SEED: "42", ADMIN_PORT: "9901",
    });
    expect(container.ports.map((p) => p.name)).toEqual(["http"]);
  });

  test("the server accepts the variables the chart renders (numbers from a values file too)", () => {
    for (const args of [steered, ["--set-json", 'faults={"failRate":0.25,"failStatus":500,"delay":"","resetRate":1,"seed":4294967295}']]) {
      const container = deploymentSpec(render(...args)).template.spec.containers[0]!;
      const vars = Object.fromEntries(container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
      const command = parseCommand([], vars);
      expect(command.kind).toBe("serve");
      const c = (command as { config: Config }).config;
      if (args === steered) {
        expect([c.requestControl, c.maxDelay, c.maxSize, c.failRate, c.failStatus, c.delay, c.resetRate, c.seed, c.adminPort, c.adminHost]).toEqual([
          true, 10, 1024 * 1024, 0.05, 502, { min: 0.1, max: 2 }, 0.01, 42, 9901, "127.0.0.1",
        ]);
      } else {
        expect([c.failRate, c.failStatus, c.resetRate, c.seed, c.delay]).toEqual([0.25, 500, 1, 4294967295, null]);
      }
    }
  });

  test("values the server would refuse are refused", () => {
    expect(renderFails("--set-json", "faults.failRate=1.5")).toContain("/faults/failRate");
    expect(renderFails("--set", "faults.failRate=often")).toContain("/faults/failRate");
    expect(renderFails("--set", "faults.delay=soon")).toContain("/faults/delay");
    expect(renderFails("--set", "faults.failStatus=99")).toContain("/faults/failStatus");
    expect(renderFails("--set", "admin.port=0")).toContain("/admin/port");
    expect(renderFails("--set", "server.maxSize=big")).toContain("/server/maxSize");
    expect(renderFails("--set", "faults.rate=1")).toContain("additional properties 'rate' not allowed");
  });
});
