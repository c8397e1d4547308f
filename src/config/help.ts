/** `--help`: every flag, its variable and its default. test/core/config.test.ts checks each flag is listed. */
import { IO_CHOICES } from "../backends.ts";
import { VERSION } from "./version.ts";

export const HELP = `hello-server ${VERSION} — a very fast HTTP/1.1 server that answers every request with one configured response.

Usage: hello-server [flags]
       hello-server admin ready|unready|sick|state [--admin-port N] [--admin-host ADDR]

Flags (environment variable in brackets; a flag wins over its variable):
  --port N               TCP port to listen on, 0 = any free port [PORT] (default 8000)
  --host ADDR            address to bind [HOST] (default ::, IPv6 and IPv4 on one
                         dual-stack socket; 0.0.0.0 where the host has no IPv6)
  --workers N|auto       worker processes; auto = CPUs this process may use
                         (affinity mask and cgroup quota) [WORKERS] (default auto)
  --body TEXT            response body [BODY] (default "hello")
  --status CODE          response status, 200..599 [STATUS] (default 200)
  --header 'Name: value' extra response header, repeatable
  --content-type TYPE    [CONTENT_TYPE] (default "text/plain; charset=utf-8")
  --max-header-size N    header section limit in bytes, over it 431 [MAX_HEADER_SIZE] (default 8192)
  --max-body-size N      request body limit in bytes, over it 413 [MAX_BODY_SIZE] (default 1048576)
  --header-timeout S     seconds to receive a request head, then 408 and close [HEADER_TIMEOUT] (default 10)
  --idle-timeout S       seconds a kept-alive connection may idle [IDLE_TIMEOUT] (default 60)
  --shutdown-timeout S   seconds graceful shutdown may take, then force [SHUTDOWN_TIMEOUT] (default 5)
  --shutdown-delay S     after SIGTERM keep serving S seconds (answers close the connection,
                         the health path answers 503), then drain [SHUTDOWN_DELAY] (default 0)
  --health-path PATH     this path (query ignored) answers 200 "ok" whatever --status says,
                         503 once shutdown has begun or while unready [HEALTH_PATH] (default none)
  --log-format text|json lifecycle lines as text or one JSON object per line [LOG_FORMAT] (default text)
  --access-log text|json one line per answered request on stdout: combined log format with
                         duration and pid, or one JSON object per line [ACCESS_LOG] (default off)
  --backlog N            accept queue length (Node and --io syscall; Bun.listen and
                         Deno.listen have no such option) [BACKLOG] (default 4096)
  --io ${IO_CHOICES.join("|")}  I/O back end: socket = the runtime's sockets; syscall = direct
                         system calls through FFI (Linux x86_64; Bun, Deno with --allow-ffi,
                         Node with the optional koffi package); uring = io_uring rings
                         (Linux 6.0+; Bun, Deno and Node with koffi; falls back to syscall
                         where the kernel refuses it); auto = syscall where it can run and
                         HOST is an address, else socket; a TLS listener always uses socket
                         [IO] (default auto)
  --no-eager             syscall back end: wait for readiness before every read and write
  --quiet                no lifecycle lines on stderr

Steer it (all off by default; the health path is never steered):
  --request-control      per request: ?status=NNN&delay=250ms&size=10k&close=1, or the headers
                         X-Hello-Status, X-Hello-Delay, X-Hello-Size, X-Hello-Close
                         (a query parameter wins) [REQUEST_CONTROL=1]
  --max-delay D          largest delay a request may ask for [MAX_DELAY] (default 30s)
  --max-size N           largest size= a request may ask for, k/M suffixes [MAX_SIZE] (default 16M)
  --fail-rate P          this fraction (0..1) of answers gets --fail-status [FAIL_RATE] (default 0)
  --fail-status CODE     status of injected failures [FAIL_STATUS] (default 503)
  --delay D|MIN..MAX     every answer waits D, or uniformly MIN..MAX (250ms, 1.5s, 2s) [DELAY]
  --reset-rate P         this fraction of requests gets a TCP reset instead of an answer [RESET_RATE]
  --seed N               seed of the random choices above; worker i uses N + i [SEED]
  --admin-port N         admin listener: POST /ready, /unready, /sick; GET /state [ADMIN_PORT]
  --admin-host ADDR      address of the admin listener [ADMIN_HOST] (default 127.0.0.1)

Watch it (all off by default):
  --echo-path PATH       this path answers with the request as it arrived, as JSON
                         (text with Accept: text/plain or ?format=text) [ECHO_PATH]
  --echo-max-body N      echo shows the body up to N bytes, k/M suffixes; beyond, its
                         length and truncated [ECHO_MAX_BODY] (default 64k)
  --served-by            every answer carries X-Served-By: HOST/PID [SERVED_BY=1]
  --metrics-port N       Prometheus metrics at GET /metrics on this port, summed over
                         every worker [METRICS_PORT]
  --metrics-host ADDR    address of the metrics listener [METRICS_HOST] (default: as --host)

HTTPS (socket back end only):
  --tls-cert FILE        PEM certificate (chain) [TLS_CERT]
  --tls-key FILE         PEM private key, ECDSA or RSA [TLS_KEY]
  --tls-port N           serve HTTPS on N and plain HTTP on --port; without it --port
                         serves HTTPS only [TLS_PORT]
  --tls-client-ca FILE   require client certificates signed by this CA (mutual TLS) [TLS_CLIENT_CA]

WebSocket (off by default; RFC 6455, no extension, no subprotocol):
  --ws-echo-path PATH    this path accepts WebSocket upgrades and echoes every message
                         (ws:// and, with --tls-cert, wss://) [WS_ECHO_PATH]
  --ws-max-message N     largest message, k/M suffixes; over it close 1009 [WS_MAX_MESSAGE] (default 1M)
  --ws-ping-interval D   the server pings every D (250ms, 30s); 0 = never; keeps proxies that cut
                         silent connections from cutting this one [WS_PING_INTERVAL] (default 0)
                         A WebSocket with no frame from its peer for --idle-timeout closes with 1001.

HTTP/2 (RFC 9113; every feature above answers per stream):
  --http2 on|off|only    on = h2c (prior knowledge and Upgrade: h2c) and, with --tls-cert, h2 by
                         ALPN beside HTTP/1.1; off = HTTP/1.1 only; only = HTTP/2 only, on every
                         port (--healthcheck then speaks h2c) [HTTP2] (default on)
  --http2-max-streams N  concurrent streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS);
                         more are refused with REFUSED_STREAM [HTTP2_MAX_STREAMS] (default 100)

gRPC (on wherever HTTP/2 is: POST with content-type application/grpc*; docs/grpc.md):
  grpc.health.v1.Health (Check, Watch) follows the run-time state; hello.v1.Echo/Echo echoes;
  --fail-rate, --delay, --reset-rate and --request-control (x-hello-grpc-status, x-hello-delay)
  steer Echo in gRPC's terms; health is never steered.
  --grpc-service NAME    a service name Health knows besides "", repeatable; any other is
                         NOT_FOUND [GRPC_SERVICE, comma-separated]

Other commands:
  --healthcheck          request the local port once (the health path if set, else /);
                         exit 0 if it answers 200 (--status without a health path), else 1
  --healthcheck-grpc     the same over gRPC: grpc.health.v1.Health/Check (service "") over
                         h2c (h2 with TLS); exit 0 on SERVING, else 1
  admin ACTION           ask a running server's admin listener to become ready, unready or
                         sick, or print its state; exit 0 on success
  --help                 this text
  --version              print the version

Signals: SIGTERM waits --shutdown-delay, then finishes responses in flight and
exits 0 (forced after --shutdown-timeout); SIGINT (Ctrl-C) skips the delay;
SIGHUP replaces the workers one by one.

Open files: each worker raises its soft open-file limit (ulimit -n) to the hard
limit at start, as Go and nginx's worker_rlimit_nofile do, wherever it can call
libc (Linux x86_64; Bun, Deno with --allow-ffi, Node with koffi). Out of file
descriptors, --io syscall pauses accepting for 100 ms and says so at most once
every 5 s, with a count.
`;
