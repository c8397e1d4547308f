/**
 * The slice of Deno's namespace the Deno adapter uses. The project does not
 * pull in Deno's whole lib (it clashes with bun-types and @types/node);
 * other files may add to the namespace in files of their own.
 */
declare namespace Deno {
  const version: { deno: string; v8: string; typescript: string };
  const pid: number;
  const args: string[];
  interface NetAddr {
    transport: "tcp" | "udp";
    hostname: string;
    port: number;
  }
  interface Conn {
    read(p: Uint8Array): Promise<number | null>;
    write(p: Uint8Array): Promise<number>;
    closeWrite(): Promise<void>;
    close(): void;
    setNoDelay(noDelay?: boolean): void;
    readonly remoteAddr: NetAddr;
  }
  interface Listener extends AsyncIterable<Conn> {
    accept(): Promise<Conn>;
    close(): void;
    readonly addr: NetAddr;
  }
  function listen(options: { hostname?: string; port: number; transport?: "tcp"; reusePort?: boolean }): Listener;
}
