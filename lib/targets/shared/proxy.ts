import { createHash } from "node:crypto";

/*
 * The envkit proxy: one small HAProxy per environment in front of the services whose traffic has
 * to move without replacing what holds the port (Docker: public rolling services and every
 * blue-green/canary service; Swarm: blue-green/canary services). Written once here, used by the
 * Docker and Swarm targets; each target decides which services it routes and what DNS name each
 * container set answers to.
 *
 * Why HAProxy: TCP mode proxies any TCP port (Caddy 2.6 proxies HTTP only and has no weights),
 * `balance roundrobin` is a smooth weighted round-robin (exact shares over a cycle of the weights),
 * `server-template … resolvers` follows Docker's DNS at run time (a rolling update changes the
 * addresses behind an alias, never the configuration), and a reload in master-worker mode
 * (SIGUSR2 to the master) hands the listening sockets to the new worker while the old one
 * finishes its connections.
 */

/** The image the proxy runs unless `docker.proxy.image` / `swarm.proxy.image` says otherwise. */
// haproxy:2.6-alpine (HAProxy 2.6.8, multi-arch manifest list), as recorded by
// docker-library/repo-info repos/haproxy/remote/2.6-alpine.md (commit 72e4be79b9c8). It has
// busybox (sh, md5sum, wget) for the reload loop and the health check, and a uid 99 `haproxy` user.
export const DEFAULT_PROXY_IMAGE = "haproxy:2.6-alpine@sha256:e03315a00e5cac5bd2adc48ad3412bec80f589222ff36db5ed2843f9f24ffb2b";

/** Where the configuration file is inside the proxy container (a volume on Docker, a config on Swarm). */
export const PROXY_CONFIG_DIR = "/usr/local/etc/envkit-proxy";
/** The configuration file the proxy reads. */
export const PROXY_CONFIG_FILE = `${PROXY_CONFIG_DIR}/haproxy.cfg`;
/** Port of the proxy's own health endpoint (HTTP `GET /healthz` answers 200 while HAProxy runs). */
export const PROXY_HEALTH_PORT = 8404;
/** Path of the health endpoint. */
export const PROXY_HEALTH_PATH = "/healthz";
/** The proxy runs as HAProxy's own user in the official image (uid/gid 99), never root. */
export const PROXY_UID = 99;
/** Docker's embedded DNS server, present in every user-defined network (bridge and overlay). */
export const ENGINE_DNS = "127.0.0.11:53";
/** Highest server weight HAProxy accepts. */
const MAX_WEIGHT = 256;

/** One set of containers (or one Swarm service) behind a route: a DNS name and its share of the traffic. */
export interface ProxySet {
  /** `stable`, `blue`, `green` or `canary`. */
  readonly name: string;
  /** DNS name the set answers to on the networks the proxy shares with it. */
  readonly host: string;
  /** Addresses the name resolves to in steady state (containers on Docker, 1 for a Swarm VIP). */
  readonly servers: number;
  /** Percent of the route's connections (0–100; the shares of a route add up to 100). */
  readonly share: number;
}

/** One listening port of the proxy and where its connections go. */
export interface ProxyRoute {
  /** `<service>-<port name>` (`-preview` for a preview route): the frontend/backend name. */
  readonly name: string;
  readonly service: string;
  /**
   * Port the proxy listens on inside its container: the port clients dial (`servicePort`), or the
   * host port it publishes. Several routes may share one only if each has `allow` (internal
   * services, each addressed on networks of its own): the connection's destination address, the
   * proxy's address on one of those networks, picks the route.
   */
  readonly listen: number;
  /** The sets' port. */
  readonly port: number;
  readonly sets: readonly ProxySet[];
  /**
   * Source ranges allowed to connect (the networks where the service is addressed), so the
   * proxy, which joins several networks, opens no path between services that declared none.
   * @default any source (a public port)
   */
  readonly allow?: readonly string[];
}

/** The proxy's whole configuration input. */
export interface ProxyPlan {
  /** `<app>-<env>`, written in the header. */
  readonly scope: string;
  readonly routes: readonly ProxyRoute[];
}

/** Per-server weights of a route's sets, and whether they give the shares exactly. */
export interface RouteWeights {
  /** Set name → weight of each of its servers (0 = no traffic). */
  readonly weights: Readonly<Record<string, number>>;
  /** False when HAProxy's 1–256 range forced a rounding (the measured share is then approximate). */
  readonly exact: boolean;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Weights that give each set its share of connections: a set's total weight is its servers ×
 * the per-server weight, so per-server weight ∝ share / servers. Integer form: share_i × Π_{j≠i}
 * servers_j, reduced by the common divisor; scaled into 1–256 (rounded, never to 0 for a
 * positive share) only when it does not fit, which makes the split approximate.
 */
export function routeWeights(sets: readonly ProxySet[]): RouteWeights {
  const live = sets.filter((s) => s.share > 0 && s.servers > 0);
  const raw = live.map((s) => live.reduce((w, o) => (o === s ? w : w * o.servers), s.share));
  const g = raw.reduce((a, b) => gcd(a, b), 0) || 1;
  let reduced = raw.map((w) => w / g);
  let exact = true;
  const top = Math.max(0, ...reduced);
  if (top > MAX_WEIGHT) {
    reduced = reduced.map((w) => Math.max(1, Math.round((w * MAX_WEIGHT) / top)));
    exact = false;
  }
  const weights: Record<string, number> = Object.fromEntries(sets.map((s) => [s.name, 0]));
  live.forEach((s, i) => (weights[s.name] = reduced[i]));
  return { weights, exact };
}

/** The routes of a plan by the port they listen on, in plan order. */
function byListen(routes: readonly ProxyRoute[]): Map<number, ProxyRoute[]> {
  const out = new Map<number, ProxyRoute[]>();
  for (const r of routes) out.set(r.listen, [...(out.get(r.listen) ?? []), r]);
  return out;
}

/** Fails on a plan HAProxy would refuse or that would route wrongly (a programming error, not user input). */
function checkPlan(plan: ProxyPlan): void {
  for (const [listen, routes] of byListen(plan.routes)) {
    if (routes.length < 2) continue;
    // Shared only between source-limited routes whose ranges never meet: the destination picks one.
    const open = routes.find((r) => !r.allow?.length);
    if (open) throw new Error(`proxy routes "${routes[0].name}" and "${routes[1].name}" both listen on ${listen}, and "${open.name}" is not limited to source ranges of its own`);
    const owner = new Map<string, string>();
    for (const r of routes) for (const a of r.allow!) {
      const other = owner.get(a);
      if (other && other !== r.name) throw new Error(`proxy routes "${other}" and "${r.name}" both listen on ${listen} and both accept ${a}`);
      owner.set(a, r.name);
    }
  }
  for (const r of plan.routes) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(r.name)) throw new Error(`proxy route "${r.name}": not a DNS-label-like name`);
    if (r.listen === PROXY_HEALTH_PORT) throw new Error(`proxy route "${r.name}" listens on ${PROXY_HEALTH_PORT}, the proxy's health port`);
    const total = r.sets.reduce((a, s) => a + s.share, 0);
    if (r.sets.length && total !== 100) throw new Error(`proxy route "${r.name}": shares add up to ${total}, not 100`);
    for (const a of r.allow ?? []) if (!/^[0-9.]+\/\d+$/.test(a)) throw new Error(`proxy route "${r.name}": "${a}" is not an IPv4 range`);
    for (const s of r.sets) if (!/^[a-z0-9][a-z0-9.-]*$/.test(s.host)) throw new Error(`proxy route "${r.name}": "${s.host}" is not a DNS name`);
  }
}

/**
 * The HAProxy configuration of a plan: deterministic text (the same plan gives the same bytes, so
 * its hash names what carries it). TCP mode everywhere; each set is a `server-template` with room
 * for twice its servers (old and new containers overlap during a rolling update), resolved through
 * the engine's DNS every second, checked every second (a container that stopped answering leaves
 * the rotation), and failed connections are retried on another server (`redispatch`). Routes that
 * share a port (internal services whose clients all dial, say, 80) share one frontend
 * `envkit_port_<port>` (an underscore, which no route name has): it accepts the union of their sources and picks each route's backend by the
 * destination, the proxy's own address on one of the route's networks.
 */
export function haproxyConfig(plan: ProxyPlan): string {
  checkPlan(plan);
  const out: string[] = [
    `# envkit proxy of ${plan.scope}: generated by envkit, do not edit (a change is a new file and a graceful reload).`,
    "global",
    "    nbthread 1",
    "    maxconn 4096",
    // A soft stop (reload, SIGUSR1) waits for open connections at most this long.
    "    hard-stop-after 30s",
    "    log stdout format raw local0 notice",
    "",
    "resolvers engine",
    `    nameserver dns ${ENGINE_DNS}`,
    "    accepted_payload_size 8192",
    "    resolve_retries 3",
    "    timeout resolve 1s",
    "    timeout retry 1s",
    "    hold valid 1s",
    "    hold nx 1s",
    "    hold obsolete 1s",
    "",
    "defaults",
    "    mode tcp",
    "    log global",
    "    timeout connect 2s",
    "    timeout client 5m",
    "    timeout server 5m",
    "    timeout check 2s",
    "    retries 3",
    "    option redispatch 1",
    "    default-server init-addr last,libc,none resolvers engine resolve-prefer ipv4 check inter 1s fall 2 rise 1",
    "",
    "frontend envkit-health",
    "    mode http",
    `    bind :${PROXY_HEALTH_PORT}`,
    "    timeout client 5s",
    `    monitor-uri ${PROXY_HEALTH_PATH}`,
  ];
  const shared = byListen(plan.routes);
  for (const r of plan.routes) {
    const { weights } = routeWeights(r.sets);
    const group = shared.get(r.listen)!;
    if (group.length === 1) {
      out.push("", `frontend ${r.name}`, `    bind :${r.listen}`);
      if (r.allow) out.push(r.allow.length ? `    tcp-request connection reject unless { src ${r.allow.join(" ")} }` : "    tcp-request connection reject");
      out.push(`    default_backend ${r.name}`);
    } else if (group[0] === r) {
      const ranges = (x: ProxyRoute): string => x.allow!.join(" ");
      out.push("", `frontend envkit_port_${r.listen}`, `    bind :${r.listen}`, `    tcp-request connection reject unless { src ${group.map(ranges).join(" ")} }`);
      for (const g of group) out.push(`    use_backend ${g.name} if { src ${ranges(g)} } { dst ${ranges(g)} }`);
    }
    out.push("", `backend ${r.name}`, "    balance roundrobin");
    for (const s of r.sets) {
      if (weights[s.name] === 0) continue;
      out.push(`    server-template ${s.name}- ${Math.max(1, 2 * s.servers)} ${s.host}:${r.port} weight ${weights[s.name]}`);
    }
  }
  return out.join("\n") + "\n";
}

/** First 12 hex digits of the configuration's sha256: names the object that carries one version of it. */
export function configHash(config: string): string {
  return createHash("sha256").update(config).digest("hex").slice(0, 12);
}

/**
 * The proxy container's program: HAProxy in master-worker mode, and a loop that reloads it
 * gracefully (SIGUSR2 to the master: the new worker takes over the listening sockets, the old one
 * finishes its connections) when the file's checksum changes and `haproxy -c` accepts the new
 * file — a half-written file is not loaded, and the next second's check finds it whole. SIGTERM
 * (docker stop) becomes HAProxy's soft stop. Needs only sh, md5sum and sleep (busybox or coreutils).
 */
export function proxyEntrypoint(configFile = PROXY_CONFIG_FILE): string[] {
  const script = [
    `cfg='${configFile}'`,
    'haproxy -W -db -f "$cfg" & pid=$!',
    "trap 'kill -USR1 \"$pid\" 2>/dev/null; wait \"$pid\"; exit 0' TERM INT",
    'sum=$(md5sum < "$cfg"); bad=',
    'while kill -0 "$pid" 2>/dev/null; do',
    "  sleep 1 & wait $!",
    '  now=$(md5sum < "$cfg" 2>/dev/null) || continue',
    '  [ "$now" = "$sum" ] || [ "$now" = "$bad" ] && continue',
    '  if haproxy -c -q -f "$cfg"; then kill -USR2 "$pid"; sum=$now; echo "envkit-proxy: reloaded $now"; else bad=$now; fi',
    "done",
    'wait "$pid"',
  ].join("\n");
  return ["/bin/sh", "-c", script];
}

/** The health check of the proxy (exec form): busybox wget against the health frontend. */
export function proxyHealthTest(): string[] {
  return ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${PROXY_HEALTH_PORT}${PROXY_HEALTH_PATH}`];
}
