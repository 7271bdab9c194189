import { SECRETS_DIR } from "../shared/container-spec";
import { FILES_SEED_ROLE, SEED_ROLE, SEED_ROLE_LABEL } from "./seed-labels";
import { LABEL } from "../shared/labels";
import { StackJson, StackView, WorkloadView, resources } from "../inspect";

type Json = Record<string, unknown>;

/** A limit value that caps something: a positive number, or an expression only Terraform resolves. */
const isCap = (v: unknown): boolean => (typeof v === "number" ? v > 0 : typeof v === "string" && (Number.isNaN(Number(v)) ? v.length > 0 : Number(v) > 0));

/**
 * A container that never runs a process and cannot reach anything: Terraform creates it without
 * starting it (`start = false`), it joins no network and publishes no port. envkit's secrets seeds
 * are such containers (docker-service.ts); their writable root is what lets the provider upload
 * into them. Anything else, including a seed an override made startable, is a workload.
 */
export function isInertContainer(c: Json): boolean {
  const none = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.length === 0);
  return c.start === false && c.network_mode === "none" && none(c.networks_advanced) && none(c.ports) && c.publish_all_ports !== true;
}

/** What the state-exposure message of an upload tells a Docker user to do instead. */
const DOCKER_UPLOAD_FIX = "set docker.secretsHostDir to bind-mount files that already exist on the Docker host instead, so no value passes through Terraform";

/** Where each `upload` of a container takes its content from, when that content lands in state. */
function uploads(type: string, id: string, c: Json, fix: string): { resource: string; message: string; literal: boolean }[] {
  const seed = isInertContainer(c) && ((c.labels as Json[] | undefined) ?? []).some((l) => l.label === SEED_ROLE_LABEL && (l.value === SEED_ROLE || l.value === FILES_SEED_ROLE));
  return ((c.upload as Json[] | undefined) ?? []).flatMap((u) => {
    const from = typeof u.content === "string" ? "content" : typeof u.content_base64 === "string" ? "content_base64" : undefined;
    if (!from) return []; // `source`: read at apply time from a file; only source_hash is stored.
    const value = String(u[from]);
    // Name the variable, never a literal (it may be the secret itself).
    const variable = /^\$\{var\.([A-Za-z0-9_-]+)\}$/.exec(value)?.[1];
    const what = variable ? `the value of var.${variable}` : "a literal value";
    // A literal that one of envkit's own never-started seeds writes outside the secrets folder is a
    // config file (services.<svc>.files, the monitoring set's generated files): its text was scanned
    // for secrets where it is written (ENVK-SEC-001 at its config line) and is by the JSON pass's
    // string scan; it is not a secret in state. Anything else uploaded literally still is reported.
    if (!variable && seed && !String(u.file).startsWith(`${SECRETS_DIR}/`)) return [];
    return [
      {
        resource: `${type}.${id}`,
        // A literal is the secret itself in the synthesized JSON; a variable's value is in state only.
        literal: !variable,
        message:
          `upload of "${String(u.file)}" stores ${what} in Terraform state in clear text (kreuzwerker/docker 3.6.2 keeps upload.${from} ` +
          `unencrypted: it is neither sensitive nor write-only); ${fix}`,
      },
    ];
  });
}

/**
 * Builds the guardrail view of a synthesized Docker stack from its `docker_container`s.
 * `uploadFix` is what an upload's state-exposure message says to do instead (the Swarm view of
 * its job containers says its own). @default docker.secretsHostDir
 */
export function inspectDockerStack(json: StackJson, uploadFix: string = DOCKER_UPLOAD_FIX): StackView {
  // Containers reference their image resource; report the image it pulls.
  const images = new Map(resources(json, "docker_image").map(([, id, r]) => [`\${docker_image.${id}.image_id}`, String(r.name)]));
  const containers = resources(json, "docker_container");
  // The envkit proxy's configuration seed uploads its generated HAProxy file: no secret, no exposure.
  const isProxyConfig = (c: Json): boolean => ((c.labels as Json[] | undefined) ?? []).some((l) => l.label === "envkit.dev/role" && l.value === "proxy-config-seed") && isInertContainer(c);
  const found = containers.filter(([, , c]) => !isProxyConfig(c)).flatMap(([type, id, c]) => uploads(type, id, c, uploadFix));
  const view = (l: { resource: string; message: string }) => ({ resource: l.resource, message: l.message });
  const workloads: WorkloadView[] = containers.filter(([, , c]) => !isInertContainer(c)).flatMap(([type, id, c]) => perService(view1(type, id, c), c));
  return { workloads, secretLeaks: found.filter((l) => l.literal).map(view), stateExposures: found.filter((l) => !l.literal).map(view) };

  function view1(type: string, id: string, c: Json): WorkloadView {
    const labels = ((c.labels as Json[] | undefined) ?? []).reduce<Record<string, string>>((a, l) => ({ ...a, [String(l.label)]: String(l.value) }), {});
    const opts = (c.security_opts as string[] | undefined) ?? [];
    const caps = (c.capabilities as Json | undefined) ?? {};
    const mounts = (c.mounts as Json[] | undefined) ?? [];
    const volumes = (c.volumes as Json[] | undefined) ?? [];
    const user = c.user as string | undefined;
    return {
      resource: `${type}.${id}`,
      service: labels[LABEL.name],
      image: images.get(String(c.image)) ?? (c.image as string | undefined),
      replicas: 1,
      runAsNonRoot: user !== undefined && !/^(0|root)(:|$)/.test(user),
      user,
      privileged: c.privileged === true,
      allowPrivilegeEscalation: !opts.some((o) => /^no-new-privileges(:true)?$/.test(o)),
      dropsAllCapabilities: ((caps.drop as string[] | undefined) ?? []).map((s) => s.toUpperCase()).includes("ALL"),
      readOnlyRootFilesystem: c.read_only === true,
      seccompConfined: !opts.some((o) => o === "seccomp=unconfined" || o === "seccomp:unconfined"),
      hasHealthCheck: c.healthcheck !== undefined,
      // envkit caps CPU with cpu_quota (`cpus` crashes kreuzwerker/docker 3.6.2); 0 or -1 means
      // unlimited, and cpu_shares is only a relative weight under contention, not a cap.
      hasLimits: isCap(c.memory) && (isCap(c.cpu_quota) || isCap(c.cpus)),
      hasRequests: c.memory !== undefined,
      hostNamespaces: [
        ...(c.network_mode === "host" ? ["network"] : []),
        ...(c.pid_mode === "host" ? ["pid"] : []),
        ...(c.ipc_mode === "host" ? ["ipc"] : []),
      ],
      hostMounts: [
        ...mounts.filter((m) => m.type === "bind").map((m) => String(m.source)),
        ...volumes.filter((v) => v.host_path !== undefined).map((v) => String(v.host_path)),
      ],
      publishedPorts: ((c.ports as Json[] | undefined) ?? []).map((p) => `${p.ip ?? "0.0.0.0"}:${p.external ?? p.internal}`),
      // A job's container: apply attaches and waits for it to exit (DockerService).
      ...(c.attach === true && { runsToCompletion: true }),
    };
  }
}

/**
 * The envkit proxy publishes ports on behalf of services (its `envkit.dev/published-for` label):
 * each such port is reported as that service's, so findings and suppressions about a published
 * port name the service; the proxy itself keeps the rest.
 */
function perService(v: WorkloadView, c: Json): WorkloadView[] {
  const label = ((c.labels as Json[] | undefined) ?? []).find((l) => l.label === "envkit.dev/published-for");
  if (!label) return [v];
  const owner = new Map(String(label.value).split(",").map((e) => e.split("=") as [string, string]));
  const ports = ((c.ports as Json[] | undefined) ?? []).map((p) => ({ text: `${p.ip ?? "0.0.0.0"}:${p.external ?? p.internal}`, service: owner.get(String(p.external ?? p.internal)) }));
  const services = [...new Set(ports.map((p) => p.service).filter((s): s is string => !!s))];
  return [{ ...v, publishedPorts: ports.filter((p) => !p.service).map((p) => p.text) }, ...services.map((s) => ({ ...v, service: s, publishedPorts: ports.filter((p) => p.service === s).map((p) => p.text) }))];
}
