import { checkImmutable, parseImageRef } from "../model/image-ref";
import { overlaps } from "../model/cidr";
import { serviceReleases } from "../model/environment";
import { adapterFor } from "../targets/registry";
import type { PromotionHistory } from "./history";
import { RawFinding, ReleaseHistory, Rule, RuleInput, eachWorkload, historyRan } from "./rule";

const PSS = "Kubernetes Pod Security Standards, restricted profile";
const CIS = "CIS Docker Benchmark v1.6, section 5";
const KUBE_SCORE = "kube-score / Polaris checks";

const model = (input: RuleInput) => (input.pass === "model" ? input.env : undefined);

/**
 * A model-pass rule whose check is the environment's target's (`TargetAdapter.ruleChecks`): the
 * rule's data lives here, what it means on a target lives in the target's folder, and a target
 * without a check for it finds nothing.
 */
function targetCheck(ruleId: string): (input: RuleInput) => RawFinding[] {
  return (input) => {
    const env = model(input);
    const check = env && adapterFor(env.target)?.ruleChecks?.[ruleId];
    // A finding under services.<name> concerns that service (suppressions scoped to it match).
    return check ? check(env).map((p) => ({ path: p.path.join("."), message: p.message, ...(p.path[0] === "services" && p.path.length > 1 && { service: String(p.path[1]) }) })) : [];
  };
}

/**
 * Every guardrail envkit ships. The rule catalogue (docs/rules.md) is generated from this list.
 * Ids are a public contract: suppressions refer to them.
 */
export const RULES: readonly Rule[] = [
  {
    id: "ENVK-IMG-001",
    title: "Image reference is mutable",
    rationale: "A tag such as `latest` (or no tag) can point at different images over time, so what was tested is not what runs and a rollback may not restore anything. The seeds push `:latest` and `dev-latest` tags.",
    fix: "Pin a version tag and, in production-like environments, a `@sha256:` digest in the environment's `release` map.",
    references: ["Seeds S2 L12-20 (immutable tags)", KUBE_SCORE],
    pass: "json",
    unsuppressible: false,
    alsoConfigError: true,
    check: (input) =>
      eachWorkload(input, (w) => {
        if (!w.image || w.image.startsWith("${")) return undefined;
        const ref = parseImageRef(w.image);
        if (!ref.ok) return `image "${w.image}" is not a valid reference`;
        const problem = checkImmutable(ref.value);
        return problem ? `image "${w.image}": ${problem}` : undefined;
      }),
  },
  {
    id: "ENVK-IMG-002",
    title: "Release has no digest in a production-like environment",
    rationale: "A version tag can be re-pushed; only a digest names exactly the bytes that passed staging.",
    fix: 'Add the digest to the release: `api: "2.4.1@sha256:…"` (envkit promotes digests, never rebuilt images).',
    references: ["Seeds S3 L5 (deploy the same tested image)", "SLSA provenance guidance"],
    pass: "model",
    productionOnly: true,
    // Every release the service runs: a blue-green slot or a canary without a digest is as unpinned.
    check: (input) =>
      (model(input)?.services ?? []).flatMap((s) =>
        serviceReleases(s)
          .filter((r) => !r.release.image.digest && r.release.version !== "")
          .map((r) => ({ path: r.path, service: s.name, message: `release "${r.release.version}" of "${s.name}"${r.path.startsWith("release.") ? "" : ` (${r.path})`} has no digest` })),
      ),
  },
  {
    id: "ENVK-SEC-001",
    title: "Secret value in configuration or synthesized output",
    rationale: "Anything in config, code or cdk.tf.json ends up in git, CI logs and review comments. The seeds put `dev123`, `admin123` and production passwords in files and shell history.",
    fix: "Declare the secret by name under `services.<name>.secrets` and supply `TF_VAR_<name>` at apply time.",
    references: ["Seeds digest §4.2-4.3", "CIS Docker Benchmark 5.x (secrets)", "OWASP Secrets Management Cheat Sheet"],
    pass: "json",
    unsuppressible: true,
    alsoConfigError: true,
    check: (input) => {
      if (input.pass !== "json") return [];
      const leaks: RawFinding[] = input.stack.secretLeaks.map((l) => ({ path: l.resource, message: l.message, inStack: true }));
      return leaks;
    },
  },
  {
    id: "ENVK-RES-001",
    title: "Container without resource limits",
    rationale: "Without CPU and memory limits one container can starve every other on the node or host.",
    fix: "Set `resources.cpuLimit` and `resources.memoryLimit` (envkit sets them by default; an override removed them).",
    references: [CIS + " (5.10, 5.11)", PSS, KUBE_SCORE],
    pass: "json",
    check: (input) => eachWorkload(input, (w) => (w.hasLimits ? undefined : "has no CPU and memory limits")),
  },
  {
    id: "ENVK-RES-002",
    title: "Container without resource requests",
    rationale: "Without requests the scheduler cannot place pods sensibly and quotas cannot be checked.",
    fix: "Set `resources.cpu` and `resources.memory`.",
    references: [KUBE_SCORE],
    pass: "json",
    check: (input) => eachWorkload(input, (w) => (w.hasRequests ? undefined : "has no CPU and memory requests")),
  },
  {
    id: "ENVK-HLT-001",
    title: "Container without health check or probes",
    rationale: "Without a health check a hung process keeps receiving traffic and rollouts cannot tell a bad release from a good one.",
    fix: "Declare `health` for the service: `http: { path, port }`, `tcp: { port }`, `grpc: { port }` or `command: [...]` (on Docker an http/tcp/grpc check also needs a program in the image: `health.probe`).",
    references: [CIS + " (5.26)", KUBE_SCORE, "Seeds S4 L149-154, L851-866"],
    pass: "json",
    // A job or cron job is judged by its exit code, not by a check while it runs.
    check: (input) => eachWorkload(input, (w) => (w.hasHealthCheck || w.runsToCompletion ? undefined : "has no health check (Docker) or no readiness and liveness probes (Kubernetes)")),
  },
  {
    id: "ENVK-HLT-002",
    title: "Public service without health check",
    rationale: "A public endpoint without a health check sends users to containers that are not ready.",
    fix: "Declare `health` for every public service.",
    references: [KUBE_SCORE],
    pass: "model",
    check: (input) => (model(input)?.services ?? []).filter((s) => s.public && !s.health).map((s) => ({ path: `services.${s.name}.health`, service: s.name, message: `public service "${s.name}" has no health check` })),
  },
  {
    id: "ENVK-SEC-002",
    title: "Container may run as root",
    rationale: "A process running as root inside a container is one kernel bug away from root on the host.",
    fix: 'Keep `security.runAsNonRoot: true` and a non-zero numeric `security.user` (e.g. "10001:10001").',
    references: [PSS, CIS + " (4.1)"],
    pass: "json",
    check: (input) => eachWorkload(input, (w) => (w.runAsNonRoot ? undefined : `may run as root (user ${w.user ? `"${w.user}"` : "not set"})`)),
  },
  {
    id: "ENVK-SEC-003",
    title: "Privilege escalation allowed",
    rationale: "setuid binaries can regain privileges that were dropped.",
    fix: "Keep `security.noNewPrivileges: true`.",
    references: [PSS, CIS + " (5.25)"],
    pass: "json",
    check: (input) => eachWorkload(input, (w) => (w.allowPrivilegeEscalation ? "allows privilege escalation (no-new-privileges / allowPrivilegeEscalation: false missing)" : undefined)),
  },
  {
    id: "ENVK-SEC-004",
    title: "Privileged container",
    rationale: "A privileged container has every capability and every device of the host.",
    fix: "Remove `security.privileged: true`; add the one capability needed instead.",
    references: [PSS, CIS + " (5.4)"],
    pass: "json",
    check: (input) => eachWorkload(input, (w) => (w.privileged ? "runs privileged" : undefined)),
  },
  {
    id: "ENVK-SEC-005",
    title: "Capabilities not dropped",
    rationale: "Default capabilities (NET_RAW, CHOWN, SETUID…) are rarely needed and widen every exploit.",
    fix: 'Keep `security.dropCapabilities: ["ALL"]` and add back only what is needed via `addCapabilities`.',
    references: [PSS, CIS + " (5.3)"],
    pass: "json",
    check: (input) => eachWorkload(input, (w) => (w.dropsAllCapabilities ? undefined : "does not drop ALL capabilities")),
  },
  {
    id: "ENVK-SEC-006",
    title: "Writable root filesystem",
    rationale: "A writable root lets an attacker persist tools and modify binaries.",
    fix: "Keep `security.readOnlyRootFilesystem: true`; list the paths the image writes to in `writablePaths`.",
    references: [CIS + " (5.12)", KUBE_SCORE],
    pass: "json",
    check: (input) => eachWorkload(input, (w) => (w.readOnlyRootFilesystem ? undefined : "has a writable root filesystem")),
  },
  {
    id: "ENVK-SEC-007",
    title: "No seccomp profile",
    rationale: "Without seccomp every system call is reachable from the container.",
    fix: 'Keep `security.seccompProfile: "RuntimeDefault"` (or a Localhost profile).',
    references: [PSS, CIS + " (5.21)"],
    pass: "json",
    check: (input) => eachWorkload(input, (w) => (w.seccompConfined ? undefined : "runs without a seccomp profile")),
  },
  {
    id: "ENVK-SEC-008",
    title: "Host network, PID or IPC namespace",
    rationale: "Sharing host namespaces removes the isolation containers exist for.",
    fix: "Remove host namespace sharing from the override.",
    references: [PSS + " (baseline)", CIS + " (5.9, 5.15, 5.16)"],
    pass: "json",
    check: (input) => eachWorkload(input, (w) => (w.hostNamespaces.length ? `shares the host's ${w.hostNamespaces.join(", ")} namespace(s)` : undefined)),
  },
  {
    id: "ENVK-SEC-009",
    title: "hostPath or Docker socket mount",
    rationale: "A host path mount, above all /var/run/docker.sock, hands the container control of the host.",
    fix: "Use a volume; secrets from a host folder are the one documented exception (suppress with a reason).",
    references: [PSS + " (baseline)", CIS + " (5.5, 5.31)"],
    pass: "json",
    check: (input) =>
      eachWorkload(input, (w) => {
        const sock = w.hostMounts.find((m) => m.endsWith("docker.sock"));
        if (sock) return `mounts the Docker socket ${sock}`;
        return w.hostMounts.length ? `mounts host paths ${w.hostMounts.join(", ")}` : undefined;
      }),
  },
  {
    id: "ENVK-SEC-010",
    title: "Secret value kept in Terraform state",
    rationale:
      "A value that passes through a resource argument (a Docker upload's content, a Kubernetes secret's data, a Swarm secret's data) is stored in the state in clear text: whoever reads the state — a local file, a bucket, a CI cache — reads the secret. The value never appears in code or the synthesized JSON, so this is a risk to weigh, not a leak.",
    fix: "Keep the value out of Terraform: on Docker set `docker.secretsHostDir` (files on the host, bind-mounted read-only); on Kubernetes envkit uses write-only `data_wo`. Or suppress with the reason the state is protected (encrypted remote state, restricted readers).",
    references: ["Terraform: Sensitive data in state", "Seeds digest §4.2-4.3"],
    pass: "json",
    check: (input) => (input.pass === "json" ? (input.stack.stateExposures ?? []).map((l) => ({ path: l.resource, message: l.message, inStack: true })) : []),
  },
  {
    id: "ENVK-NET-001",
    title: "Port published on all interfaces",
    rationale: "A port bound to 0.0.0.0 is reachable from every network the host is on; the seeds publish database ports this way.",
    fix: 'Bind published ports to one address (`docker.publishAddress: "127.0.0.1"` or the host\'s front address), or suppress with a reason for an edge service.',
    references: [CIS + " (5.13)", "Seeds S0 L272-288"],
    pass: "json",
    check: (input) => eachWorkload(input, (w) => {
      const open = w.publishedPorts.filter((p) => p.startsWith("0.0.0.0:"));
      return open.length ? `publishes ${open.join(", ")} on all interfaces` : undefined;
    }),
  },
  {
    id: "ENVK-NET-002",
    title: "Overlapping subnets between environments",
    rationale: "Two environments on one address range can route into each other and collide on one host.",
    fix: "Give every environment its own `network.subnet` (e.g. 10.200.0.0/16, 10.201.0.0/16).",
    references: ["Seeds digest §4.7"],
    pass: "project",
    alsoConfigError: true,
    check: (input) => {
      if (input.pass !== "project" || !input.env.subnet) return [];
      return input.all
        .filter((o) => o.name !== input.env.name && o.subnet && overlaps(o.subnet, input.env.subnet!))
        .map((o) => ({ path: "network.subnet", message: `${input.env.subnet!.text} overlaps ${o.subnet!.text} of environment "${o.name}"` }));
    },
  },
  {
    id: "ENVK-NET-003",
    title: "Container engine reached over TCP without TLS",
    rationale:
      "The Docker engine API is root on its host. Over plain `tcp://` (by convention port 2375) anyone on the network path can read and drive it, and every secret envkit uploads crosses the network in clear. The provider takes TLS certificates from `docker.certPath`, or from DOCKER_CERT_PATH where terraform runs, which envkit cannot see.",
    fix: "Set `docker.certPath` to the folder with ca.pem, cert.pem and key.pem (the engine listening with --tlsverify, usually on 2376), or use `ssh://user@host`; if DOCKER_CERT_PATH supplies the certificates at apply time, name that folder in `docker.certPath`, or suppress with that reason.",
    references: ["Docker: Protect the Docker daemon socket", "CIS Docker Benchmark v1.6 (2.6, TLS authentication for the Docker daemon)"],
    pass: "model",
    check: targetCheck("ENVK-NET-003"),
  },
  {
    id: "ENVK-NET-004",
    title: "Egress to any address",
    rationale:
      "An egress rule is a hole in default-deny. `0.0.0.0/0` (or any /0) lets the service reach every address, so a compromised container can exfiltrate anywhere. On Docker and Swarm an egress network routes to every address (the engine has no per-destination rule), so there every egress is this wide whatever host it names.",
    fix: "Name the destination's own range in `egress[].cidr` (e.g. the provider's published /24) and run where it is enforced (Kubernetes NetworkPolicy), or suppress with the reason the wide egress is acceptable (e.g. a developer machine).",
    references: ["Kubernetes NetworkPolicy (ipBlock)", "CIS Docker Benchmark v1.6 (5.x, restrict network traffic between containers)"],
    pass: "model",
    check: (input) => {
      const env = model(input);
      if (!env) return [];
      const open = env.services.flatMap((s) =>
        s.egress.flatMap((e, i) => (e.cidr !== undefined && e.cidr.endsWith("/0") ? [{ path: `services.${s.name}.egress.${i}.cidr`, service: s.name, message: `"${s.name}" may reach every address (${e.cidr}) on port ${e.port}` }] : [])),
      );
      return [...open, ...targetCheck("ENVK-NET-004")(input).filter((f) => !open.some((o) => o.path === f.path))];
    },
  },
  {
    id: "ENVK-K8S-001",
    title: "Namespace without resource quota",
    rationale: "Without a quota one environment can consume a shared cluster.",
    fix: "Set `quota` in the environment file.",
    references: ["Kubernetes ResourceQuota", "Seeds S0 L201-207"],
    pass: "json",
    check: (input) => (input.pass === "json" && input.stack.namespace && !input.stack.namespace.quota ? [{ path: "quota", message: "the namespace has no ResourceQuota" }] : []),
  },
  {
    id: "ENVK-K8S-002",
    title: "Namespace without limit range",
    rationale: "A LimitRange gives containers created outside envkit sane defaults.",
    fix: "Keep `limitRange` (envkit adds one by default; an override removed it).",
    references: ["Kubernetes LimitRange"],
    pass: "json",
    check: (input) => (input.pass === "json" && input.stack.namespace && !input.stack.namespace.limitRange ? [{ path: "limitRange", message: "the namespace has no LimitRange" }] : []),
  },
  {
    id: "ENVK-K8S-003",
    title: "Namespace without default-deny network policy",
    rationale: "Without a default deny, every pod can reach every other pod and the internet; declared connections mean nothing.",
    fix: "Keep the default-deny NetworkPolicy envkit emits; allow traffic through `connections`.",
    references: ["Kubernetes NetworkPolicy", "Seeds S1 L1122 (network policies)", KUBE_SCORE],
    pass: "json",
    check: (input) => (input.pass === "json" && input.stack.namespace && !input.stack.namespace.defaultDeny ? [{ path: "networkPolicies", message: "no NetworkPolicy denies all ingress and egress by default" }] : []),
  },
  {
    id: "ENVK-K8S-004",
    title: "Quota does not fit the workloads",
    rationale: "If requests × (replicas + surge) exceed the quota, a rollout or a scale-up stalls halfway.",
    fix: "Raise the quota or lower replicas/resources; the message shows the arithmetic per service.",
    references: ["Kubernetes ResourceQuota"],
    pass: "model",
    check: targetCheck("ENVK-K8S-004"),
  },
  {
    id: "ENVK-SWM-001",
    title: "Swarm update without automatic rollback",
    rationale:
      "A `docker_service` update replaces tasks one at a time behind their health check. Only with `failure_action = rollback` does Swarm restore the previous release when a new task fails, and only with `converge_config` does `terraform apply` wait for the outcome and fail when Swarm rolled back; otherwise a broken release is left half rolled out and reported as applied.",
    fix: "Keep the defaults `swarm.failureAction: rollback` and `swarm.converge: true`, or suppress with the reason (e.g. an operator watches every rollout).",
    references: ["Docker: Apply rolling updates to a service (--update-failure-action)", "kreuzwerker/docker 3.6.2 resource_docker_service_funcs.go:192-214 (converge_config)", "Seeds: docker_service update_config example"],
    pass: "model",
    productionOnly: true,
    check: targetCheck("ENVK-SWM-001"),
  },
  {
    id: "ENVK-SWM-002",
    title: "Replicated Swarm service not spread across nodes",
    rationale: "Swarm may place every replica of a service on one node; then one node failure or drain is an outage, however many replicas there are. (Fewer than two replicas is ENVK-AVL-001.)",
    fix: "Set `swarm.spread` to a node label (e.g. `node.labels.zone`) or `swarm.maxReplicasPerNode` below the replica count (e.g. 1).",
    references: ["Docker: Control service placement (placement preferences, max replicas per node)", "Seeds S3 L9 (several replicas across nodes)"],
    pass: "model",
    productionOnly: true,
    check: targetCheck("ENVK-SWM-002"),
  },
  {
    id: "ENVK-SWM-003",
    title: "Stateful Swarm service not pinned to its node",
    rationale: "A Swarm volume is local to the node that created it. A stateful task rescheduled on another node starts on an empty volume there: the database comes up empty and the data stays behind.",
    fix: "Remove the service from `swarm.unpinned`: envkit pins it to the node labelled `envkit.<app>.<env>.<service>=true`, or to `swarm.nodes.<service>` (a hostname).",
    references: ["Docker: Use volumes with swarm services (volumes are node-local)"],
    pass: "model",
    check: targetCheck("ENVK-SWM-003"),
  },
  {
    id: "ENVK-AVL-001",
    title: "Production-like stateless service with fewer than 2 replicas",
    rationale: "One replica means every node drain, eviction or crash is an outage. Not for jobs and cron jobs (they run to completion) nor for services declared `singleton: true` (they must run exactly once).",
    fix: "Set `replicas: 2` (or more) for the service in this environment.",
    references: ["Seeds S3 L9 (several replicas across nodes)", KUBE_SCORE],
    pass: "model",
    productionOnly: true,
    check: (input) =>
      (model(input)?.services ?? [])
        .filter((s) => s.kind === "stateless" && !s.singleton && (s.autoscaling?.minReplicas ?? s.replicas) < 2)
        .map((s) => ({ path: `services.${s.name}.replicas`, service: s.name, message: `stateless service "${s.name}" runs ${s.replicas} replica(s)` })),
  },
  {
    id: "ENVK-AVL-002",
    title: "Replicated workload without PodDisruptionBudget",
    rationale: "Without a PDB a node drain may evict every replica at once.",
    fix: "Keep the PDB envkit emits for workloads with more than one replica.",
    references: [KUBE_SCORE],
    pass: "json",
    check: (input) => eachWorkload(input, (w) => (w.hasDisruptionBudget === false && w.replicas > 1 && !w.runsToCompletion ? `has ${w.replicas} replicas and no PodDisruptionBudget` : undefined)),
  },
  {
    id: "ENVK-STA-001",
    title: "Local state backend in a production-like environment",
    rationale: "Local state is lost with the machine, cannot be locked between operators, and (on Docker) holds uploaded secret values unencrypted.",
    fix: "Configure an encrypted remote `backend` (s3, gcs, azurerm, pg or remote).",
    references: ["Terraform backends documentation"],
    // Judged in the stack's document: an Environment in a stack of the user's keeps its state in
    // that stack's backend, which the model does not know (found from outside, 2026-12-03).
    pass: "json",
    productionOnly: true,
    check: (input) => (input.pass === "json" && (input.stack.backend ?? "local") === "local" ? [{ path: "backend", message: "state is kept in a local file" }] : []),
  },
  {
    id: "ENVK-DAT-001",
    title: "Stateful service without a backup in a mandatory environment",
    rationale: "A protected volume survives `terraform destroy`, not a dropped table, a bad migration or a lost disk; without a scheduled, checked backup there is nothing to restore (seeds S0 L164-167: production backs up daily with long retention).",
    fix: "Add `backup: { method: postgres | mysql | redis | archive }` to the service (app.yaml or this environment's file); defaults give a daily run and a protected backup volume. Where backups are taken outside envkit, suppress the finding with that reason.",
    references: ["Seeds S0 L164-167, L580-609 (backup policy, mysqldump)", "Seeds S4 L1285-1370 (retention, gzip -t)"],
    pass: "model",
    productionOnly: true,
    check: (input) =>
      (model(input)?.services ?? [])
        .filter((s) => s.kind === "stateful" && s.volumes.length > 0 && !s.backup)
        .map((s) => ({ path: `services.${s.name}.backup`, service: s.name, message: `stateful service "${s.name}" keeps data in ${s.volumes.map((v) => `"${v.name}"`).join(", ")} and has no backup` })),
  },
  {
    id: "ENVK-MON-001",
    title: "Alerts with no receiver",
    rationale: "The monitoring set's Alertmanager without a receiver evaluates every alert and tells no one: the outage is found by users. Its route then ends in a receiver that sends nothing.",
    fix: "Add `monitoring.receivers: [{ name: oncall, webhookSecret: oncall_webhook }]` (the URL is a secret, supplied as TF_VAR_oncall_webhook).",
    references: ["Seeds S1 L1210, S4 L1230-1236 (alert routing)", "Prometheus Alertmanager configuration"],
    pass: "model",
    productionOnly: true,
    check: (input) => {
      const env = model(input);
      return env && env.monitoring.stack && env.monitoring.receivers.length === 0 ? [{ path: "monitoring.receivers", message: "the monitoring set's Alertmanager has no receiver: every alert goes nowhere" }] : [];
    },
  },
  {
    id: "ENVK-REL-001",
    title: "Release that never ran in the environment it is promoted from",
    rationale: "Promotion means running exactly what passed the previous stage; skipping it ships untested images.",
    fix: "Deploy the release to the `promotion.from` environment first and record it there (`envkit releases record` after the deploy), or correct the pin.",
    references: ["Seeds S2 L4-20, L158-185 (promotion pipeline)"],
    pass: "project",
    check: (input) => {
      if (input.pass !== "project" || !input.env.promotedFrom) return [];
      const from = input.all.find((e) => e.name === input.env.promotedFrom);
      // A missing environment is a configuration error (resolve.ts); one that failed its own checks
      // is reported there: promotion order cannot be judged against it, and saying more misleads.
      if (!from) return [];
      const h: ReleaseHistory & Partial<PromotionHistory> = input.history;
      const digestOf = (release: string | undefined) => /@(sha256:[a-f0-9]{64})$/.exec(release ?? "")?.[1];
      const out: RawFinding[] = [];
      for (const s of input.env.services) {
        // At a base commit (a pull request), what the change itself pins in the source counts for nothing.
        const source = from.services.find((x) => x.name === s.name);
        const running = h.base ? (h.pinnedAtBase?.(from.name, s.name) ?? []) : source ? serviceReleases(source).map((r) => r.release.version) : [];
        // History is read only when the source does not pin the release itself (most promotions),
        // and git only when the release record does not list it.
        let history: ReadonlySet<string> | undefined;
        const ranThere = (): ReadonlySet<string> => (history ??= h.releasesOf(from.name, s.name));
        // Every release the service runs here (a blue-green slot, a canary) must have run there.
        for (const { path, release } of serviceReleases(s)) {
          if (running.includes(release.version) || historyRan(h, from.name, s.name, release.version)) continue;
          const ran = ranThere();
          // The same bytes count under another tag; a name the source has no history of (a renamed or
          // moved service) is judged by its digest alone, whichever service of the source ran it.
          const named = running.length > 0 || ran.size > 0 || Boolean(h.knows?.(from.name, s.name));
          const pool = named ? [...running, ...ran] : [...(h.releasesIn?.(from.name) ?? []), ...(h.base ? [] : from.services.flatMap((x) => serviceReleases(x).map((r) => r.release.version)))];
          if (release.image.digest && pool.some((r) => digestOf(r) === release.image.digest)) continue;
          const searched = h.searched?.length ? `; searched: ${h.searched.join(", ")}` : "";
          // Say exactly which source was missing and how to record the release, so the fix is clear.
          const gaps = h.unavailable?.length ? `; unavailable: ${h.unavailable.join(", ")}` : h.available ? "" : "; history unavailable";
          const hint = (gaps || h.base) && h.recordHint ? `; ${h.recordHint(from.name, s.name)}` : "";
          const where = h.base ? ` at the base ${h.base.ref} (${h.base.commit.slice(0, 12)})` : "";
          const now = running.map((r) => `"${r}"`).join(", ");
          const pins = running.length ? `${h.base ? "it pinned" : "it runs"} ${now}` : `it pins no release for "${s.name}"`;
          const byDigest = named ? "" : `; "${s.name}" is new to "${from.name}", so it is judged by digest: ${release.image.digest ? `no service there ran ${release.image.digest}` : "the release has none"}`;
          const role = path.endsWith(".canary.release") ? "canary release" : path.includes(".rollout.slots.") ? `slot ${path.slice(path.lastIndexOf(".") + 1)} release` : "release";
          out.push({
            path,
            service: s.name,
            message: `"${s.name}" ${role} "${release.version}" never ran in "${from.name}"${where}${gaps ? " as far as envkit can tell" : ""} (${pins}${byDigest}${searched}${gaps})${hint}`,
          });
        }
      }
      return out;
    },
  },
];

/** Finds a rule by id. */
export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
