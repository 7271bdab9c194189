import { EnvironmentModel, ServiceModel } from "../../model/environment";
import type { TargetIssue } from "../target";
import { parseCron } from "../../model/cron";
import { SCHEDULER_SHELL } from "./scheduler";

/*
 * What a Docker engine (one host, or a Swarm) cannot express of a service's shape, said once for
 * both engine targets: a cron job envkit's scheduler cannot run (shared/scheduler.ts),
 * Kubernetes exposure; init steps where the target says it cannot run them. Each message names
 * what to write instead.
 */

/** What differs between the engine targets. */
export interface EngineShape {
  /** The target's name as messages say it ("Docker", "Swarm"). */
  readonly label: string;
  /** Why `init` steps cannot run here (followed by the fix), or undefined where they can. */
  readonly noInit?: string;
}

/** The smallest memory limit Docker Engine accepts for a container (6 MiB). */
const ENGINE_MIN_MEMORY = 6 * 1024 * 1024;

/** Refusals of what the engine target cannot run, each with the fix. */
export function engineShapeIssues(env: EnvironmentModel, shape: EngineShape): TargetIssue[] {
  const out: TargetIssue[] = [];
  const t = shape.label;
  for (const svc of env.services) {
    const at = (...rest: (string | number)[]): (string | number)[] => ["services", svc.name, ...rest];
    if (svc.kind === "cronjob") out.push(...cronJobIssues(svc, t));
    if (svc.init.length > 0 && shape.noInit) {
      out.push({ path: at("init"), message: `${shape.noInit}; set init: [] for "${svc.name}" in this environment and run the step as a kind: job with runBefore: [${svc.name}] (it runs once per release, before "${svc.name}" is updated), or run this environment on Docker or Kubernetes` });
    }
    // The engine refuses a smaller memory limit at container create ("Minimum memory limit allowed
    // is 6MB", moby daemon/daemon_unix.go linuxMinMemory), so the apply would fail there.
    if (svc.resources.memoryLimitBytes < ENGINE_MIN_MEMORY) {
      const own = svc.resources.memoryLimitBytes !== svc.resources.memoryBytes;
      out.push({ path: at("resources", own ? "memoryLimit" : "memory"), message: `a memory limit of ${svc.resources.memoryLimitBytes} bytes is below the 6Mi the ${t} engine accepts (it refuses the container at apply); give "${svc.name}" at least 6Mi${own ? "" : " (the limit follows resources.memory unless resources.memoryLimit is set)"}` });
    }
    if (svc.exposure !== undefined) out.push({ path: at("exposure"), message: `exposure is how Kubernetes exposes a public service; on ${t} public: true publishes its ports (hostPort), so remove exposure from this environment` });
    for (const p of svc.ports) {
      // A servicePort other than the container port is honoured by the envkit proxy (shared/proxy-sets.ts translatesPorts).
      if (p.nodePort !== undefined) out.push({ path: at("ports", p.name, "nodePort"), message: `node ports are Kubernetes'; on ${t} a public port is published as hostPort, so remove nodePort from this environment` });
    }
  }
  return out;
}

/**
 * ENVK-NET-004 on an engine target: an egress network is a bridge (or overlay) with a route out,
 * and the engine has no per-destination rule, so the service can reach every address, whatever
 * host or cidr its egress names.
 */
export function engineEgressFindings(env: EnvironmentModel, label: string): TargetIssue[] {
  return env.services.flatMap((s) =>
    s.egress.map((e, i) => ({ path: ["services", s.name, "egress", i], message: `"${s.name}" egress to ${e.host ?? e.cidr}:${e.port}: on ${label} its egress network routes to every address (the engine cannot restrict destinations), so only the port list documents intent` })),
  );
}

/**
 * What envkit's scheduler needs of a cron job (shared/scheduler.ts): the command to run, since
 * its `/bin/sh -c <loop>` replaces the image's entrypoint, and a schedule of numbers it evaluates
 * (Kubernetes also takes macros such as @daily; the scheduler reads five numeric fields).
 */
function cronJobIssues(svc: ServiceModel, t: string): TargetIssue[] {
  const out: TargetIssue[] = [];
  if (!svc.command || svc.command.length === 0) {
    out.push({ path: ["services", svc.name, "command"], message: `on ${t} a cronjob runs in envkit's scheduler, whose entrypoint (${SCHEDULER_SHELL} -c <scheduler>) replaces the image's, so the image's own ENTRYPOINT/CMD cannot be run; set services.${svc.name}.command to the program to run (e.g. command: ["/usr/local/bin/cleanup"], with args if needed)` });
  }
  const s = svc.schedule === undefined ? undefined : parseCron(svc.schedule);
  if (s && !s.ok) out.push({ path: ["services", svc.name, "schedule"], message: `on ${t} envkit's scheduler evaluates five numeric fields: ${s.error}` });
  return out;
}
