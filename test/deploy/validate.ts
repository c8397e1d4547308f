/**
 * Validates Kubernetes objects offline against Kubernetes' own OpenAPI schemas, as compiled
 * into the npm package kubernetes-models (one model class per apiVersion and kind, each with
 * an ajv validator generated from the API's OpenAPI document; checked through
 * @kubernetes-models/validate's runValidateFunc, which the models' validate() calls).
 *
 * Unknown fields: Kubernetes' OpenAPI schemas do not say `additionalProperties: false`, so
 * those validators accept `replicaz: 3` (the API server would silently drop it, or refuse it
 * with `kubectl apply --validate=strict`). The strict part here, as kubeconform -strict does:
 * the object is validated through a Proxy that records which properties the generated
 * validator reads. A validator reads every property its schema declares, and enumerates
 * the keys of maps (labels, resources.limits); so a key of a non-map object that the
 * validator never read is a field the schema does not have.
 */

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string };
  [field: string]: unknown;
}

/** What the validator did with one object of the document. */
interface Access {
  path: string;
  read: Set<PropertyKey>;
  enumerated: boolean;
}

/** Wraps value (and, lazily, everything under it) so that accesses are recorded in accesses. */
function tracked<T>(value: T, path: string, accesses: Map<object, Access>): T {
  if (value === null || typeof value !== "object") return value;
  const target = value as object;
  const access: Access = { path, read: new Set(), enumerated: false };
  accesses.set(target, access);
  const children = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(t, key, receiver) {
      access.read.add(key);
      const v: unknown = Reflect.get(t, key, receiver);
      if (typeof key !== "string" || !Object.hasOwn(t, key) || v === null || typeof v !== "object") return v;
      // The same proxy for repeated reads, so a validator comparing references still can.
      if (!children.has(key)) children.set(key, tracked(v, Array.isArray(t) ? `${path}[${key}]` : `${path}.${key}`, accesses));
      return children.get(key);
    },
    has(t, key) {
      access.read.add(key);
      return Reflect.has(t, key);
    },
    ownKeys(t) {
      access.enumerated = true;
      return Reflect.ownKeys(t);
    },
  }) as T;
}

/** The model class for an apiVersion and kind, e.g. kubernetes-models/apps/v1/Deployment. */
async function modelFor(obj: K8sObject): Promise<{ prototype: { validate(): void } }> {
  if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string" || !/^[A-Z][A-Za-z0-9]*$/.test(obj.kind)) {
    throw new Error(`not a Kubernetes object (apiVersion ${String(obj.apiVersion)}, kind ${String(obj.kind)})`);
  }
  // Core objects are "v1" (kubernetes-models/v1/Service); the rest "group/version".
  const specifier = `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch {
    throw new Error(`no schema for ${obj.apiVersion} ${obj.kind} in kubernetes-models (${specifier})`);
  }
  const model = mod[obj.kind] as { prototype?: { validate?: unknown } } | undefined;
  if (typeof model?.prototype?.validate !== "function") throw new Error(`${specifier} exports no model ${obj.kind}`);
  return model as { prototype: { validate(): void } };
}

/**
 * Problems with obj, each one line ("<kind>/<name>: <where> …"); empty when it is valid
 * and has no field its schema lacks.
 */
export async function validateObject(obj: K8sObject): Promise<string[]> {
  const name = `${obj?.kind}/${obj?.metadata?.name ?? "?"}`;
  let model: { prototype: { validate(): void } };
  try {
    model = await modelFor(obj);
  } catch (e) {
    return [`${name}: ${(e as Error).message}`];
  }
  const problems: string[] = [];
  const accesses = new Map<object, Access>();
  try {
    model.prototype.validate.call(tracked(obj, "", accesses));
  } catch (e) {
    problems.push(`${name}: ${(e as Error).message}`);
  }
  for (const [node, access] of accesses) {
    if (Array.isArray(node) || access.enumerated) continue;
    for (const key of Object.keys(node)) {
      if (!access.read.has(key)) problems.push(`${name}: unknown field ${access.path ? `${access.path.slice(1)}.` : ""}${key}`);
    }
  }
  return problems;
}

/** The objects of a (multi-document) YAML stream; empty documents dropped. */
export function parseManifests(yaml: string): K8sObject[] {
  // Bun.YAML.parse returns an array for several documents and the value for one; a
  // manifest document is an object, never an array.
  const parsed: unknown = Bun.YAML.parse(yaml);
  const docs: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  return docs.filter((d): d is K8sObject => d !== null && typeof d === "object");
}
