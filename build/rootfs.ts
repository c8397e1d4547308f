/**
 * The root file system of the `FROM scratch` image: the executable and what
 * the dynamic loader needs to start it, nothing else.
 *
 * What it needs is read from the ELF file itself (the PT_INTERP program
 * header, the DT_NEEDED entries of the dynamic section, then those of each
 * library in turn), not from `ldd`: `ldd` runs the binary's own loader, which
 * cannot work for a cross-compiled arm64 binary on an amd64 build host. The
 * libraries come from a sysroot of the target architecture (in the
 * Dockerfile, the target platform's Debian image, mounted; in CI's qemu
 * check, Debian's libc6-arm64-cross in /usr/aarch64-linux-gnu).
 *
 * Only 64-bit little-endian ELF (x86-64, AArch64): the targets build.ts makes.
 */

import { closeSync, copyFileSync, chmodSync, lstatSync, mkdirSync, openSync, readSync, readlinkSync, statSync } from "node:fs";
import { dirname, join, posix } from "node:path";

/** e_machine values (ELF gABI; glibc's elf.h). */
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;

/** Where a 64-bit ELF file says it must be loaded from and with what. */
export interface ElfDeps {
  machine: number;
  /** PT_INTERP: the dynamic loader's absolute path; undefined for a static executable or a library. */
  interpreter: string | undefined;
  /** DT_NEEDED sonames, in file order. */
  needed: string[];
}

class ElfReader {
  readonly #fd: number;
  constructor(readonly path: string) {
    this.#fd = openSync(path, "r");
  }
  bytes(offset: number, length: number): Buffer {
    const buf = Buffer.alloc(length);
    const n = readSync(this.#fd, buf, 0, length, offset);
    if (n !== length) throw new Error(`${this.path}: truncated ELF file (wanted ${length} bytes at ${offset})`);
    return buf;
  }
  cString(offset: number): string {
    // Sonames and loader paths are short; 4 KiB is far above PATH_MAX-sized names in practice.
    const buf = this.bytes(offset, Math.min(4096, statSync(this.path).size - offset));
    const end = buf.indexOf(0);
    if (end < 0) throw new Error(`${this.path}: unterminated string at ${offset}`);
    return buf.toString("latin1", 0, end);
  }
  close(): void {
    closeSync(this.#fd);
  }
}

/** Reads PT_INTERP and DT_NEEDED of a 64-bit little-endian ELF file. */
export function readElfDeps(path: string): ElfDeps {
  const elf = new ElfReader(path);
  try {
    const header = elf.bytes(0, 64);
    if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path}: not an ELF file`);
    if (header[4] !== 2 || header[5] !== 1) throw new Error(`${path}: not a 64-bit little-endian ELF file`);
    const machine = header.readUInt16LE(0x12);
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const loads: { vaddr: number; offset: number; filesz: number }[] = [];
    let interpreter: string | undefined;
    let dynamic: { offset: number; size: number } | undefined;
    for (let i = 0; i < phnum; i++) {
      const ph = elf.bytes(phoff + i * phentsize, 56);
      const type = ph.readUInt32LE(0);
      const offset = Number(ph.readBigUInt64LE(8));
      const vaddr = Number(ph.readBigUInt64LE(16));
      const filesz = Number(ph.readBigUInt64LE(32));
      if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
      else if (type === PT_INTERP) interpreter = elf.cString(offset);
      else if (type === PT_DYNAMIC) dynamic = { offset, size: filesz };
    }
    const needed: string[] = [];
    if (dynamic !== undefined) {
      const table = elf.bytes(dynamic.offset, dynamic.size);
      const neededOffsets: bigint[] = [];
      let strtab: bigint | undefined;
      for (let at = 0; at + 16 <= table.length; at += 16) {
        const tag = table.readBigInt64LE(at);
        if (tag === DT_NULL) break;
        if (tag === DT_NEEDED) neededOffsets.push(table.readBigUInt64LE(at + 8));
        else if (tag === DT_STRTAB) strtab = table.readBigUInt64LE(at + 8);
      }
      if (neededOffsets.length > 0) {
        if (strtab === undefined) throw new Error(`${path}: DT_NEEDED without DT_STRTAB`);
        // DT_STRTAB is a virtual address: the PT_LOAD segment that maps it gives its file offset.
        const vaddr = Number(strtab);
        const seg = loads.find((l) => vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz);
        if (seg === undefined) throw new Error(`${path}: DT_STRTAB 0x${vaddr.toString(16)} is in no PT_LOAD segment`);
        const base = vaddr - seg.vaddr + seg.offset;
        for (const off of neededOffsets) needed.push(elf.cString(base + Number(off)));
      }
    }
    return { machine, interpreter, needed };
  } finally {
    elf.close();
  }
}

/**
 * The directories the loader searches when no ld.so.cache exists (a scratch
 * image has none), in its order: Debian's multiarch directory first, then
 * the plain ones. Read from the loaders themselves (`strings ld-linux-*.so.*`
 * on Debian 12: /lib/<triple>/, /usr/lib/<triple>/, /lib/, /usr/lib/).
 */
function searchDirs(machine: number): string[] {
  const triple = machine === EM_X86_64 ? "x86_64-linux-gnu" : machine === EM_AARCH64 ? "aarch64-linux-gnu" : undefined;
  if (triple === undefined) throw new Error(`unsupported ELF machine ${machine} (only x86-64 and AArch64)`);
  return [`/lib/${triple}`, `/usr/lib/${triple}`, "/lib", "/usr/lib"];
}

/**
 * `path` (absolute, as seen inside the sysroot) resolved to a host path,
 * following symlinks inside the sysroot: an absolute link target is taken
 * relative to the sysroot, not the host (Debian's /lib64/ld-linux-x86-64.so.2
 * points at /lib/x86_64-linux-gnu/…). Undefined when it does not exist.
 */
export function resolveInSysroot(sysroot: string, path: string): string | undefined {
  const todo = path.split("/").filter((p) => p !== "");
  const done: string[] = [];
  for (let hops = 0; todo.length > 0; ) {
    const part = todo.shift()!;
    if (part === ".") continue;
    if (part === "..") {
      done.pop();
      continue;
    }
    const host = join(sysroot, ...done, part);
    let st;
    try {
      st = lstatSync(host);
    } catch {
      return undefined;
    }
    if (!st.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++hops > 40) throw new Error(`${sysroot}${path}: too many levels of symbolic links`);
    const target = readlinkSync(host);
    if (target.startsWith("/")) done.length = 0;
    todo.unshift(...target.split("/").filter((p) => p !== ""));
  }
  return join(sysroot, ...done);
}

export interface RootfsFile {
  /** Path inside the image. */
  path: string;
  bytes: number;
}

/**
 * Writes `rootfs/hello-server` (a copy of `executable`), its loader at the
 * PT_INTERP path and every library it needs, transitively, at the path the
 * loader finds it under in `sysroot`. Fails when one is missing or was built
 * for another machine than the executable (say, an amd64 sysroot for an
 * arm64 binary). Returns what it wrote, executable first.
 */
export function assembleRootfs(executable: string, rootfs: string, sysroot: string): RootfsFile[] {
  const exe = readElfDeps(executable);
  if (exe.interpreter === undefined) throw new Error(`${executable} names no dynamic loader (PT_INTERP)`);
  const dirs = searchDirs(exe.machine);
  const written: RootfsFile[] = [];
  const put = (from: string, path: string): void => {
    const to = join(rootfs, path);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
    chmodSync(to, 0o755);
    written.push({ path, bytes: statSync(to).size });
  };
  put(executable, "/hello-server");

  const interpreter = resolveInSysroot(sysroot, exe.interpreter);
  if (interpreter === undefined) throw new Error(`the loader ${exe.interpreter} is not in the sysroot ${sysroot}`);
  checkMachine(interpreter, exe.machine, executable);
  put(interpreter, exe.interpreter);

  // The loader answers to its own soname: a DT_NEEDED on it needs no second copy.
  const seen = new Set<string>([posix.basename(exe.interpreter)]);
  const queue = [...exe.needed];
  while (queue.length > 0) {
    const soname = queue.shift()!;
    if (seen.has(soname)) continue;
    seen.add(soname);
    let found: { host: string; path: string } | undefined;
    for (const dir of dirs) {
      const host = resolveInSysroot(sysroot, `${dir}/${soname}`);
      if (host !== undefined) {
        found = { host, path: `${dir}/${soname}` };
        break;
      }
    }
    if (found === undefined) throw new Error(`${soname} (needed by ${executable}) is in none of ${dirs.join(", ")} under the sysroot ${sysroot}`);
    const deps = checkMachine(found.host, exe.machine, executable);
    put(found.host, found.path);
    queue.push(...deps.needed);
  }
  return written;
}

function checkMachine(path: string, machine: number, executable: string): ElfDeps {
  const deps = readElfDeps(path);
  if (deps.machine !== machine) {
    throw new Error(`${path} is for ELF machine ${deps.machine}, ${executable} for ${machine}: the sysroot is of another architecture`);
  }
  return deps;
}
