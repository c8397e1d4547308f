/** What the Deno adapter's HTTPS listener uses of Deno's namespace (Deno 2.9; deno-net.d.ts has the rest). */
declare namespace Deno {

  function listenTls(options: {
    hostname?: string;
    port: number;
    reusePort?: boolean;
    cert: string;
    key: string;
    alpnProtocols?: string[];
  }): Listener;
}
