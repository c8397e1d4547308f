/**
 * What the runtime adapters share besides the contract (src/contract/socket.ts, which they
 * implement): the shape of one runtime's listen function.
 */
import type { ConnectionHandler, Listener, ListenOptions, TlsOptions } from "../contract/socket.ts";

/** One runtime's socket layer: binds one listener, plain or TLS, and drives a handler (socket.ts adds the clock). */
export type RuntimeListen = <C>(options: ListenOptions, handler: ConnectionHandler<C>, tls: TlsOptions | null) => Promise<Listener>;

// The contract's types, for code that still names them from here; they are declared in src/contract/socket.ts.
export type { Transport, ConnectionHandler, ListenOptions, Listener, TlsOptions, ServeOptions, ServedCore, Served, Backend } from "../contract/socket.ts";
