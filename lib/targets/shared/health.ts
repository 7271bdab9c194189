import { HealthCheck, HealthModel, HealthRoleModel, ProbeTool } from "../../model/environment";

/*
 * Health checks for targets whose engine runs one check inside the container (a Docker engine,
 * single host or Swarm): which check, which timings, and the `Test` command the engine runs.
 * The engine can only exec a program the image has, so an http/tcp/grpc check needs one.
 */

/**
 * The one check an engine with a single health check runs: the readiness check. Its "healthy"
 * is what gates dependants (start order) and traffic; the engine restarts nothing on
 * "unhealthy", so liveness has no counterpart, and `startPeriod` plays the startup probe's part.
 */
export function singleCheck(h: HealthModel): HealthRoleModel {
  return h.readiness;
}

/** Timings of the single check (seconds): the readiness overrides, else the service's. */
export interface SingleCheckTimings {
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly startPeriodSeconds: number;
}

/** The single check's timings: the readiness role's overrides, else the service-wide timings. */
export function singleCheckTimings(h: HealthModel): SingleCheckTimings {
  const r = singleCheck(h);
  return {
    intervalSeconds: r.intervalSeconds ?? h.intervalSeconds,
    timeoutSeconds: r.timeoutSeconds ?? h.timeoutSeconds,
    retries: r.retries ?? h.retries,
    startPeriodSeconds: h.startPeriodSeconds,
  };
}

/** Which check kind each tool runs. */
const TOOL_KIND: Readonly<Record<ProbeTool, HealthCheck["kind"]>> = { wget: "http", curl: "http", nc: "tcp", grpc_health_probe: "grpc" };

/** The tool an http check uses when `health.probe` is not set: busybox and alpine images have it. */
export const DEFAULT_HTTP_TOOL: ProbeTool = "wget";

/** Why an in-container check cannot run, located at the config path to fix. */
export interface InContainerProblem {
  readonly path: string[];
  readonly message: string;
}

/** Where the single check is written: `health.<kind>`, or `health.readiness.<kind>` for its own check. */
function checkPath(svc: string, role: HealthRoleModel): string[] {
  return ["services", svc, "health", ...(role.own ? ["readiness"] : []), role.check.kind];
}

/** Suggested probe for a kind, for messages. */
function suggestion(kind: HealthCheck["kind"]): string {
  const tools = (Object.keys(TOOL_KIND) as ProbeTool[]).filter((t) => TOOL_KIND[t] === kind);
  const tool = tools.length ? `health.probe.tool: ${tools.join(" or ")} (if the image has it) or ` : "";
  return `set ${tool}health.probe.command: [...] naming a program the image has (exec form, no shell), or use a command check`;
}

/**
 * Whether the engine can run the service's single check inside the container. Every http check
 * can (wget by default, which minimal and distroless images lack: they need `health.probe`);
 * tcp and grpc checks need `health.probe`; a tool must run the check's kind.
 */
export function inContainerProblem(svc: string, h: HealthModel): InContainerProblem | undefined {
  const role = singleCheck(h);
  const kind = role.check.kind;
  if (kind === "command" || (h.probe && "command" in h.probe)) return undefined;
  if (h.probe && "tool" in h.probe) {
    if (TOOL_KIND[h.probe.tool] === kind) return undefined;
    return {
      path: ["services", svc, "health", "probe", "tool"],
      message: `"${h.probe.tool}" runs ${TOOL_KIND[h.probe.tool]} checks, and the health check of "${svc}" is a ${kind} check; ${suggestion(kind)}`,
    };
  }
  if (kind === "http") return undefined;
  return {
    path: checkPath(svc, role),
    message: `the ${kind} check of "${svc}" runs inside the container, which needs a program in the image to make it; ${suggestion(kind)}`,
  };
}

/**
 * The engine's `Test` for the single check: `["CMD", …]` (exec form, no shell) for commands,
 * user probes and tools, and the historical `CMD-SHELL` wget line for http through wget (its URL
 * is quoted and built from a validated port and path). Throws where {@link inContainerProblem}
 * reports, for a model that bypassed validation.
 */
export function inContainerTest(svc: string, h: HealthModel): string[] {
  const problem = inContainerProblem(svc, h);
  if (problem) throw new Error(`${problem.path.join(".")}: ${problem.message}`);
  const c = singleCheck(h).check;
  if (c.kind === "command") return ["CMD", ...c.command];
  if (h.probe && "command" in h.probe) return ["CMD", ...h.probe.command];
  const tool = h.probe && "tool" in h.probe ? h.probe.tool : DEFAULT_HTTP_TOOL;
  const host = "127.0.0.1";
  if (c.kind === "http" && tool === "wget") return ["CMD-SHELL", `wget -q -O /dev/null 'http://${host}:${c.port}${c.path}' || exit 1`];
  if (c.kind === "http") return ["CMD", "curl", "-fsS", "-o", "/dev/null", `http://${host}:${c.port}${c.path}`];
  if (c.kind === "tcp") return ["CMD", "nc", "-z", host, String(c.port)];
  return ["CMD", "grpc_health_probe", `-addr=${host}:${c.port}`, ...(c.service ? [`-service=${c.service}`] : [])];
}
