/** What echo reads of a Deno connection besides deno-net.d.ts's slice: the local address. */
declare namespace Deno {
  interface Conn {
    readonly localAddr: NetAddr;
  }
}
