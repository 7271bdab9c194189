import { LABEL } from "../shared/labels";
import { StackJson, StackView, WorkloadView, resources } from "../inspect";
import { inspectDockerStack } from "../docker/docker-inspect";

type Json = Record<string, unknown>;

const first = (v: unknown): Json => ((Array.isArray(v) ? v[0] : v) as Json | undefined) ?? {};
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const positive = (v: unknown): boolean => (typeof v === "number" ? v > 0 : typeof v === "string" && v.length > 0 && !(Number(v) <= 0));

/** The `docker_secret`s of a stack whose value Terraform stores in its state. */
function secretExposures(json: StackJson): { resource: string; message: string; literal: boolean }[] {
  return resources(json, "docker_secret").flatMap(([type, id, s]) => {
    if (typeof s.data !== "string") return [];
    // Name the variable, never a literal (it may be the secret itself).
    const variable = /var\.([A-Za-z0-9_-]+)/.exec(s.data)?.[1];
    const what = variable ? `the value of var.${variable}` : "a literal value";
    return [
      {
        resource: `${type}.${id}`,
        // A literal is the secret itself in the synthesized JSON; a variable's value is in state only.
        literal: !variable,
        message:
          `docker_secret "${String(s.name)}" stores ${what} in Terraform state (kreuzwerker/docker 3.6.2 marks docker_secret.data Sensitive, which only masks it in plan output, and has no write-only variant); ` +
          "keep the state in an encrypted remote backend readable only by the deployers (ENVK-STA-001)",
      },
    ];
  });
}

/**
 * Builds the guardrail view of a synthesized Swarm stack from its `docker_service`s (one view per
 * service, with its replica count) and its `docker_secret`s (state exposure).
 */
export function inspectSwarmStack(json: StackJson): StackView {
  const workloads: WorkloadView[] = resources(json, "docker_service").map(([type, id, s]) => {
    const task = first(s.task_spec);
    const c = first(task.container_spec);
    const labels = list(s.labels).reduce<Record<string, string>>((a, l) => ({ ...a, [String(l.label)]: String(l.value) }), {});
    const res = first(task.resources);
    const limits = first(res.limits);
    const reservation = first(res.reservation);
    const user = c.user as string | undefined;
    const replicated = first(first(s.mode).replicated);
    const ports = list(first(s.endpoint_spec).ports);
    const networks = list(task.networks_advanced).map((n) => String(n.name));
    return {
      resource: `${type}.${id}`,
      service: labels[LABEL.name],
      image: c.image as string | undefined,
      replicas: typeof replicated.replicas === "number" ? replicated.replicas : 1,
      runAsNonRoot: user !== undefined && !/^(0|root)(:|$)/.test(user),
      user,
      // Swarm services cannot run privileged (no such field in the service spec).
      privileged: false,
      // No per-service no-new-privileges in Engine API 1.41 or provider 3.6.2: only a daemon-wide
      // setting, which the stack cannot show.
      allowPrivilegeEscalation: true,
      dropsAllCapabilities: ((c.cap_drop as string[] | undefined) ?? []).map((x) => x.toUpperCase()).some((x) => x === "ALL" || x === "CAP_ALL"),
      readOnlyRootFilesystem: c.read_only === true,
      // Tasks always get the engine's default seccomp profile (no way to unconfine them in 1.41).
      seccompConfined: true,
      hasHealthCheck: list(first(c.healthcheck).test).length > 0,
      hasLimits: positive(limits.nano_cpus) && positive(limits.memory_bytes),
      hasRequests: positive(reservation.memory_bytes),
      hostNamespaces: networks.includes("host") ? ["network"] : [],
      hostMounts: list(c.mounts).filter((m) => m.type === "bind").map((m) => String(m.source)),
      // Both the routing mesh (ingress) and host mode listen on every interface of the node(s).
      publishedPorts: ports.map((p) => `0.0.0.0:${String(p.published_port ?? p.target_port)}`),
    };
  });
  const found = secretExposures(json);
  const view = (l: { resource: string; message: string }) => ({ resource: l.resource, message: l.message });
  // A job runs as the Docker target's container on the manager (swarm-environment.ts): its
  // container, step and seeds are seen as on Docker (hardening, uploads that land in state).
  const containers = inspectDockerStack(
    json,
    "on Swarm a job's secrets seed writes the value its docker_secret holds in state already (a standalone container cannot mount a docker_secret, and there is no host-file option on Swarm): keep the state in an encrypted remote backend readable only by the deployers (ENVK-STA-001)",
  );
  return {
    workloads: [...workloads, ...containers.workloads],
    secretLeaks: [...found.filter((l) => l.literal).map(view), ...containers.secretLeaks],
    stateExposures: [...found.filter((l) => !l.literal).map(view), ...(containers.stateExposures ?? [])],
  };
}
