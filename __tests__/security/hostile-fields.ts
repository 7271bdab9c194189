import * as fc from "fast-check";
import { AppConfig } from "../../lib/config/schema";
import { ResolvedEnvironment } from "../../lib/config/resolve";
import { dockerEnv, isContainer, k8sEnv, miniApp, resolveOne, synthJson } from "../helpers";

/*
 * One user string per configuration field that reaches a Terraform string, put into the small
 * application of the helpers, synthesized on both targets, and read back from the JSON: shared by
 * the property test (security/) and the real-terraform check (integration/).
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Pieces that matter to HCL templates, to bias arbitrary strings towards the hard cases. */
const PIECES = ["${", "%{", "$${", "%%{", "$$", "%%", "$", "%", "{", "}", "~", "~}", '"', "'", "\\", "\\n", '\\"', "\n", "\r\n", "\t", "é", "e\u0301", "😀", "\uFEFF", "\u2028", "${x}", "%{ if true }", "%{ endif }", 'file("/etc/passwd")', "var.db_password", "path.cwd"];

/** Arbitrary strings (any Unicode), biased towards template openers, escapes, quotes and newlines. */
export const hostileString: fc.Arbitrary<string> = fc
  .array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...PIECES) }, { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 4 }) }), { maxLength: 12 })
  // NUL is refused by validation (no target accepts it in a string), so it is not generated here.
  .map((parts) => parts.join("").replace(/\u0000/g, ""));

/** The fields under test; each value is an arbitrary user string. */
export const FIELDS = ["env", "command", "args", "healthCommand", "writablePath", "storageClass", "dockerHost", "certPath", "secretsHostDir", "context", "configPath", "ingressClassName"] as const;
export type Field = (typeof FIELDS)[number];
export type HostileInputs = Readonly<Record<Field, string>>;

/** One emitted string: where it is, what envkit wrote, and what Terraform must compute from it. */
export interface Emitted {
  readonly where: string;
  readonly emitted: string;
  readonly intended: string;
}

/** The same string in every field. */
export function everywhere(s: string): HostileInputs {
  return Object.fromEntries(FIELDS.map((f) => [f, s])) as unknown as HostileInputs;
}

/**
 * The writable path made of a user string: container paths must be normalised (no empty, "." or
 * ".." segments), which is not what these tests judge, so the string stays one segment.
 */
export function writablePathOf(s: string): string {
  return `/w${s.replace(/\//g, "-")}`;
}

function hostileApp(s: HostileInputs): AppConfig {
  const app = miniApp();
  return {
    ...app,
    services: {
      web: { ...app.services.web, health: { http: { path: "/healthz", port: "http" } } },
      api: { ...app.services.api, env: { EVIL: s.env }, command: [s.command], args: [s.args], writablePaths: [writablePathOf(s.writablePath)] },
      db: { ...app.services.db, health: { command: ["pg_isready", s.healthCommand] }, volumes: [{ name: "data", path: "/var/lib/postgresql/data", storageClass: s.storageClass }] },
    },
  };
}

/**
 * The hostile application resolved for a Docker (`dev`) and a Kubernetes (`kube`) environment, both
 * advisory: guardrail findings about the small app are not what these tests judge.
 */
export function hostileEnvironments(s: HostileInputs): ResolvedEnvironment[] {
  const app = hostileApp(s);
  return [
    resolveOne(app, "dev", dockerEnv({ docker: { host: `tcp://${s.dockerHost}`, certPath: s.certPath, secretsHostDir: `/${s.secretsHostDir}` } })),
    resolveOne(app, "kube", k8sEnv({ policy: { enforcement: "advisory" }, kubernetes: { context: s.context, configPath: s.configPath, ingressClassName: s.ingressClassName } })),
  ];
}

function one<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected one ${what}, found ${items.length}`);
  return items[0];
}

function bodies(json: Json, type: string): Json[] {
  return Object.values((json.resource?.[type] ?? {}) as Record<string, Json>);
}

/** Every field's emitted string in the Docker stack. */
export function dockerEmitted(json: Json, s: HostileInputs): Emitted[] {
  const container = (svc: string): Json => one(bodies(json, "docker_container").filter((c) => isContainer(c.name, `demo-dev-${svc}-1`)), `${svc} container`);
  const api = container("api");
  const provider = json.provider.docker[0];
  const tmpfsKeys = Object.keys(api.tmpfs);
  const bind = one((api.mounts as Json[]).filter((m) => m.type === "bind"), "bind mount");
  return [
    { where: "docker env", emitted: one((api.env as string[]).filter((e) => e.startsWith("EVIL=")), "EVIL entry"), intended: `EVIL=${s.env}` },
    { where: "docker entrypoint (command)", emitted: api.entrypoint[0], intended: s.command },
    { where: "docker command (args)", emitted: api.command[0], intended: s.args },
    { where: "docker healthcheck test (health.command)", emitted: container("db").healthcheck.test[2], intended: s.healthCommand },
    { where: "docker tmpfs key (writablePaths)", emitted: one(tmpfsKeys, "tmpfs key"), intended: writablePathOf(s.writablePath) },
    { where: "docker provider host", emitted: provider.host, intended: `tcp://${s.dockerHost}` },
    { where: "docker provider cert_path", emitted: provider.cert_path, intended: s.certPath },
    { where: "docker bind mount source (secretsHostDir)", emitted: bind.source, intended: `/${s.secretsHostDir}/api_token` },
  ];
}

/** Every field's emitted string in the Kubernetes stack. */
export function kubernetesEmitted(json: Json, s: HostileInputs): Emitted[] {
  const workload = (type: string, svc: string): Json => one(bodies(json, type).filter((w) => w.metadata.name === svc), `${svc} ${type}`);
  const api = workload("kubernetes_deployment_v1", "api").spec.template.spec.container[0];
  const db = workload("kubernetes_stateful_set_v1", "db");
  const config = one(bodies(json, "kubernetes_config_map_v1").filter((c) => String(c.metadata.name).startsWith("api-config-")), "api config map");
  const provider = json.provider.kubernetes[0];
  const ingress = one(bodies(json, "kubernetes_ingress_v1"), "ingress");
  const writable = one((api.volume_mount as Json[]).filter((m) => String(m.name).startsWith("writable-")), "writable mount");
  return [
    { where: "kubernetes config map data (env)", emitted: config.data.EVIL, intended: s.env },
    { where: "kubernetes container command", emitted: api.command[0], intended: s.command },
    { where: "kubernetes container args", emitted: api.args[0], intended: s.args },
    { where: "kubernetes liveness exec (health.command)", emitted: db.spec.template.spec.container[0].liveness_probe.exec.command[1], intended: s.healthCommand },
    { where: "kubernetes mount_path (writablePaths)", emitted: writable.mount_path, intended: writablePathOf(s.writablePath) },
    { where: "kubernetes storage_class_name (volumes.storageClass)", emitted: db.spec.volume_claim_template[0].spec.storage_class_name, intended: s.storageClass },
    { where: "kubernetes provider config_context", emitted: provider.config_context, intended: s.context },
    { where: "kubernetes provider config_path", emitted: provider.config_path, intended: s.configPath },
    { where: "kubernetes ingress_class_name", emitted: ingress.spec.ingress_class_name, intended: s.ingressClassName },
  ];
}

/** Synthesizes the hostile application on both targets; returns every emitted string. */
export function synthHostile(s: HostileInputs): { emitted: Emitted[]; stacks: Map<string, Json> } {
  const stacks = synthJson(hostileEnvironments(s));
  return { emitted: [...dockerEmitted(stacks.get("dev")!, s), ...kubernetesEmitted(stacks.get("kube")!, s)], stacks };
}
