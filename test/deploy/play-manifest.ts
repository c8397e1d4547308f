/**
 * For test/kube.sh: the Deployment of a rendered manifest, made runnable by podman 4.3's
 * `podman kube play` on this machine, and the facts the script checks it against.
 *
 *   bun test/deploy/play-manifest.ts <manifest.yaml> <out.json> <image> <host port> <name suffix>
 *
 * Changed in the Deployment, and nothing else:
 *  - the image, to the one just built (no registry holds hello-server);
 *  - a hostPort (on 127.0.0.1) on the container's http port: podman 4.3's kube play has no
 *    --publish, and a Service is not something podman runs;
 *  - the name, suffixed, so the pod cannot collide with another run's;
 *  - replicas, to 1: podman 4.3 starts one pod per replica, and two cannot have the same
 *    hostPort.
 * Prints shell assignments: name, container_port, probe_path, readiness_period, grace,
 * shutdown_delay, shutdown_timeout, cpu_limit, workers (what the Downward API gives: the
 * CPU limit rounded up).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseManifests } from "./validate.ts";

interface Container {
  name: string;
  image: string;
  env: { name: string; value?: string; valueFrom?: { resourceFieldRef?: { resource: string } } }[];
  ports: { name: string; containerPort: number; hostPort?: number; hostIP?: string }[];
  readinessProbe: { httpGet: { path: string; port: string | number }; periodSeconds: number };
  resources: { limits: { cpu: string | number } };
}
interface Deployment {
  kind: string;
  metadata: { name: string };
  spec: { replicas?: number; template: { spec: { terminationGracePeriodSeconds: number; containers: Container[] } } };
}

/** A CPU quantity ("2", "1500m", 0.5) in CPUs. */
function cpus(q: string | number): number {
  const s = String(q);
  return s.endsWith("m") ? Number(s.slice(0, -1)) / 1000 : Number(s);
}

const [input, output, image, hostPort, suffix] = process.argv.slice(2);
if (!input || !output || !image || !hostPort || !suffix) {
  console.error("usage: bun test/deploy/play-manifest.ts <manifest.yaml> <out.json> <image> <host port> <name suffix>");
  process.exit(2);
}
const deployments = parseManifests(readFileSync(input, "utf8")).filter((o) => o.kind === "Deployment") as unknown as Deployment[];
if (deployments.length !== 1) throw new Error(`${input}: ${deployments.length} Deployments, expected 1`);
const deployment = deployments[0]!;
const container = deployment.spec.template.spec.containers[0]!;
const http = container.ports.find((p) => p.name === "http");
if (!http) throw new Error(`${input}: no port named http`);
const probePort = container.readinessProbe.httpGet.port;
if (probePort !== "http" && probePort !== http.containerPort) throw new Error(`${input}: the readiness probe is not on the http port`);
const env = new Map(container.env.map((e) => [e.name, e]));
const workersVar = env.get("WORKERS");
const cpuLimit = cpus(container.resources.limits.cpu);
const workers = workersVar?.valueFrom?.resourceFieldRef?.resource === "limits.cpu" ? Math.ceil(cpuLimit) : Number(workersVar?.value);

deployment.metadata.name = `${deployment.metadata.name}-${suffix}`;
deployment.spec.replicas = 1;
container.image = image;
http.hostPort = Number(hostPort);
http.hostIP = "127.0.0.1";
writeFileSync(output, JSON.stringify(deployment, null, 2) + "\n");

const facts: Record<string, string | number> = {
  name: deployment.metadata.name,
  container_port: http.containerPort,
  probe_path: container.readinessProbe.httpGet.path,
  readiness_period: container.readinessProbe.periodSeconds,
  grace: deployment.spec.template.spec.terminationGracePeriodSeconds,
  shutdown_delay: env.get("SHUTDOWN_DELAY")?.value ?? "0",
  shutdown_timeout: env.get("SHUTDOWN_TIMEOUT")?.value ?? "5",
  cpu_limit: String(container.resources.limits.cpu),
  workers,
};
for (const [k, v] of Object.entries(facts)) console.log(`${k}=${JSON.stringify(String(v))}`);
