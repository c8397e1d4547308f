/**
 * The few Deno FFI declarations the syscall back end uses. The repository
 * type-checks against bun-types and @types/node, which know nothing of
 * `Deno`, so these narrow shapes stand in for `lib.deno.ns.d.ts`
 * (https://docs.deno.com/api/deno/ffi). Values are read from `globalThis`.
 */

/** An opaque native pointer (Deno's `PointerObject`); `null` is NULL. */
export type DenoPointer = object | null;

export type DenoNativeType = "i32" | "u32" | "usize" | "isize" | "buffer" | "pointer" | "void";

export interface DenoForeignFunction {
  readonly parameters: readonly DenoNativeType[];
  readonly result: DenoNativeType;
}

export interface DenoDynamicLibrary {
  readonly symbols: Readonly<Record<string, (...args: never[]) => unknown>>;
  close(): void;
}

export interface DenoFfiNamespace {
  dlopen(path: string, symbols: Readonly<Record<string, DenoForeignFunction>>): DenoDynamicLibrary;
  readonly UnsafePointerView: {
    /** An ArrayBuffer aliasing `byteLength` bytes of native memory at `pointer + offset`. */
    getArrayBuffer(pointer: NonNullable<DenoPointer>, byteLength: number, offset?: number): ArrayBuffer;
  };
}

/** `globalThis.Deno`, if this is Deno. */
export function denoNamespace(): DenoFfiNamespace | undefined {
  return (globalThis as unknown as { Deno?: DenoFfiNamespace }).Deno;
}
