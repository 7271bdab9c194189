import { ConfigIssue } from "../errors";
import { ConfigFileModel, EnvironmentModel, ServiceModel } from "../model/environment";
import { SECRETS_MOUNT, checkMetadataKey, isWithinPath } from "../model/names";
import { cpuToKubernetes, formatCpu, formatMemory, memoryToKubernetes } from "../model/quantity";
import { SAFE_SYSCTLS } from "../model/sysctls";
import { findSecretLinesInText } from "../targets/inspect";
import type { TargetAdapter } from "../targets/target";
import type { DefaultedValues } from "./defaulted-values";

/*
 * The semantic checks of config files, workload metadata, sysctls and budgets (resolve.ts calls
 * them while it builds the model). Every message names the field and the fix; none quotes the
 * text of a config file.
 */

type Segments = (string | number)[];
type Err = (segs: Segments, message: string) => void;

/**
 * The most config-file text one service may carry: Swarm refuses a config over 500 KiB
 * (swarmkit manager/controlapi/config.go `MaxConfigSize = 500 * 1024`, as vendored in
 * appcelerator/amp), and Kubernetes one ConfigMap over 1 MiB; all of a service's files share one
 * ConfigMap.
 */
export const MAX_FILES_BYTES = 500 * 1024;

/** The service fields the config-file checks read. */
interface FilesInput {
  readonly files: readonly { readonly path: string; readonly content?: string; readonly source?: string }[];
  readonly volumes: readonly { readonly name: string; readonly path: string }[];
  readonly writablePaths: readonly string[];
}

/**
 * A service's config files with their text (a `source` is read by the loader, load.ts): each
 * path once, outside the secrets folder, the volumes and the writable paths (each of those is a
 * mount of its own, and a file mounted inside one would be hidden or duplicated), at most
 * {@link MAX_FILES_BYTES} in all, and nothing that looks like a secret (ENVK-SEC-001).
 */
export function resolveFiles(s: FilesInput, svc: string, at: (...rest: Segments) => Segments, err: Err, ctx: { readonly files?: ReadonlyMap<string, { readonly text?: string; readonly issue?: ConfigIssue }> }): ConfigFileModel[] {
  const out: ConfigFileModel[] = [];
  const seen = new Map<string, number>();
  let total = 0;
  s.files.forEach((f, i) => {
    const where = at("files", i);
    const first = seen.get(f.path);
    if (first !== undefined) err([...where, "path"], `"${f.path}" is also the path of files[${first}]; each file has its own path, so remove one`);
    // A file cannot be a folder too: mounting /etc/app and /etc/app/x fails at apply (Docker) or start (Kubernetes).
    const nested = first === undefined ? s.files.findIndex((g, j) => j < i && g.path !== f.path && (isWithinPath(f.path, g.path) || isWithinPath(g.path, f.path))) : -1;
    if (nested >= 0) {
      const [inner, outer] = isWithinPath(f.path, s.files[nested].path) ? [f.path, s.files[nested].path] : [s.files[nested].path, f.path];
      err([...where, "path"], `"${inner}" is inside "${outer}", and both are config files (files[${nested}] and files[${i}]); a file cannot hold another: choose paths where neither is the other's folder`);
    }
    seen.set(f.path, i);
    if (isWithinPath(f.path, SECRETS_MOUNT)) err([...where, "path"], `"${f.path}" is inside ${SECRETS_MOUNT}, where envkit mounts the service's secrets; choose another folder`);
    for (const v of s.volumes) {
      if (isWithinPath(f.path, v.path) || isWithinPath(v.path, f.path)) err([...where, "path"], `"${f.path}" overlaps volume "${v.name}" (${v.path}); a config file is mounted on its own, so put it outside the volume (or write it into the volume from the application)`);
    }
    for (const w of s.writablePaths) {
      if (isWithinPath(f.path, w) || isWithinPath(w, f.path)) err([...where, "path"], `"${f.path}" overlaps writable path "${w}"; a config file is read-only and mounted on its own, so put it outside the writable path or remove "${w}" from writablePaths`);
    }
    let text: string | undefined = f.content;
    let origin = "content";
    if (f.source !== undefined) {
      origin = `"${f.source}"`;
      const read = ctx.files?.get(f.source);
      if (!ctx.files) err([...where, "source"], `a source file needs an application folder (configuration passed as objects has none); give the text as content instead`);
      else if (!read || read.issue || read.text === undefined) err([...where, "source"], `"${f.source}" ${read?.issue?.message ?? "could not be read"}`);
      else text = read.text;
    }
    if (text === undefined) return;
    total += Buffer.byteLength(text, "utf8");
    // Line numbers only: the file's text is never quoted.
    const leak = findSecretLinesInText(text)[0];
    if (leak) err([...where, f.source !== undefined ? "source" : "content"], `[ENVK-SEC-001] line ${leak.line} of ${origin} ${leak.message}; config files are not for secrets: declare it under services.${svc}.secrets and read it from ${SECRETS_MOUNT}/<name> (the file's text is not shown here)`);
    out.push({ path: f.path, content: text });
  });
  if (total > MAX_FILES_BYTES) err(at("files"), `the config files of "${svc}" hold ${formatMemory(total)}, over the ${MAX_FILES_BYTES / 1024} KiB a service may carry (Swarm's limit per config); move large data into the image or a volume`);
  return out;
}

/** Label-key namespaces envkit sets itself: a user key there could override a selector. */
export const RESERVED_LABEL_PREFIXES = ["envkit.dev/", "app.kubernetes.io/"] as const;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
/** Kubernetes' limit on the annotations of one object (apimachinery TotalAnnotationSizeLimitB). */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** A service's labels and annotations, checked: Kubernetes key syntax, no envkit key, Kubernetes label values. */
export function resolveMetadata(s: { readonly labels: Readonly<Record<string, string>>; readonly annotations: Readonly<Record<string, string>> }, at: (...rest: Segments) => Segments, err: Err): { labels: Record<string, string>; annotations: Record<string, string> } {
  for (const field of ["labels", "annotations"] as const) {
    for (const k of Object.keys(s[field])) {
      // Kubernetes' key syntax everywhere, so one app.yaml works on every target.
      const syntax = checkMetadataKey(k);
      if (syntax) err(at(field, k), syntax);
      const reserved = RESERVED_LABEL_PREFIXES.find((p) => k.startsWith(p));
      if (reserved) err(at(field, k), `"${k}" is in the ${reserved} namespace, whose keys envkit sets itself (selectors, environment, version); choose a key of your own, e.g. "acme.com/${k.slice(reserved.length)}"`);
    }
  }
  for (const [k, v] of Object.entries(s.labels)) {
    if (v.length > 63 || !LABEL_VALUE.test(v)) err(at("labels", k), `the value of label "${k}" must be at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit (or empty); put free text in annotations instead`);
  }
  const size = Object.entries(s.annotations).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > MAX_ANNOTATIONS_BYTES) err(at("annotations"), `annotations hold ${formatMemory(size)}, over Kubernetes' 256 KiB per object; keep large data out of annotations`);
  return { labels: { ...s.labels }, annotations: { ...s.annotations } };
}

/** Sysctls from the safe set only (values as strings). */
export function resolveSysctls(sysctls: Readonly<Record<string, string | number>>, at: (...rest: Segments) => Segments, err: Err): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(sysctls)) {
    if (!SAFE_SYSCTLS.includes(k)) err(at("sysctls", k), `"${k}" is not a safe namespaced sysctl (it would affect the node or other containers, and Pod Security refuses it); the safe ones are ${SAFE_SYSCTLS.join(", ")}`);
    const value = String(v);
    // Every safe sysctl takes numbers: one, a pair ("1024 65535") or a port list ("8080,9000-9100").
    if (!/^[0-9][0-9 ,-]*$/.test(value)) err(at("sysctls", k), `the value of "${k}" must be numbers: one (600), a pair ("1024 65535") or a port list ("8080,9000-9100")`);
    out[k] = value;
  }
  return out;
}

/** The parts of the effective document a budget reads and fills. */
export interface BudgetDoc {
  budget?: { of: string; ratio?: string };
  quota?: Record<string, unknown>;
  limitRange?: Record<string, unknown>;
}

/** What an environment adds up to: the quota where it sets one, else its services' requests and limits × pods. */
export function environmentTotals(env: Pick<EnvironmentModel, "quota" | "services">): { cpuMillis: number; memoryBytes: number; cpuLimitMillis: number; memoryLimitBytes: number; pods: number; persistentVolumeClaims?: number; storageBytes?: number } {
  const pods = (s: ServiceModel): number => (s.autoscaling ? Math.max(s.autoscaling.maxReplicas, s.replicas) : s.replicas);
  const sum = (f: (s: ServiceModel) => number): number => env.services.reduce((n, s) => n + f(s) * pods(s), 0);
  const q = env.quota;
  return {
    cpuMillis: q?.cpuMillis ?? sum((s) => s.resources.cpuMillis),
    memoryBytes: q?.memoryBytes ?? sum((s) => s.resources.memoryBytes),
    cpuLimitMillis: q?.cpuLimitMillis ?? sum((s) => s.resources.cpuLimitMillis),
    memoryLimitBytes: q?.memoryLimitBytes ?? sum((s) => s.resources.memoryLimitBytes),
    pods: q?.pods ?? sum(() => 1),
    persistentVolumeClaims: q?.persistentVolumeClaims,
    storageBytes: q?.storageBytes,
  };
}

const MI = 1024 ** 2;
const shareCpu = (milli: number, r: number): string => cpuToKubernetes(Math.max(1, Math.floor(milli * r)));
const shareMemory = (bytes: number, r: number): string => memoryToKubernetes(Math.max(1, Math.floor((bytes * r) / MI)) * MI);
const shareCount = (n: number, r: number, min: number): number => Math.max(min, Math.floor(n * r));

/**
 * `budget: { of, ratio }`: where the target reads a quota, every quota value the environment does
 * not set becomes `of`'s total × ratio (and an unset limit range, `of`'s × ratio); elsewhere the
 * environment's own requests must fit in that share. Derived values are recorded in `defaulted`,
 * so `envkit explain` names the budget as their origin.
 */
export function applyBudget(
  doc: BudgetDoc,
  envName: string,
  adapter: TargetAdapter | undefined,
  ctx: { readonly budget?: { readonly of: string; readonly model?: EnvironmentModel; readonly hasBudget: boolean; readonly exists: boolean }; readonly defaulted: DefaultedValues; /** `file:line` of the budget, as explain names derived values' origin. */ readonly where: string },
  err: Err,
  services: readonly ServiceModel[],
): { of: string; ratio: number } | undefined {
  const b = doc.budget;
  if (!b) return undefined;
  if (b.of === envName) return void err(["budget", "of"], `"${b.of}" is this environment itself; name the environment whose totals this one is a share of (e.g. prod)`);
  const ref = ctx.budget;
  if (!ref?.exists) return void err(["budget", "of"], `no environment "${b.of}"; name the environment whose totals this one is a share of (e.g. prod)`);
  if (ref.hasBudget) return void err(["budget", "of"], `"${b.of}" has a budget of its own; a budget is a share of an environment that sets its own totals (e.g. prod)`);
  if (!ref.model) return void err(["budget", "of"], `"${b.of}" has errors of its own (reported with it), so this environment's budget cannot be computed; fix "${b.of}" first`);
  if (b.ratio === undefined) return void err(["budget", "ratio"], `no default share for environment "${envName}" (defaults exist for dev, test and staging); set budget.ratio, e.g. "25%"`);
  const ratio = Number(b.ratio.slice(0, -1)) / 100;
  const totals = environmentTotals(ref.model);
  const why = (what: string): string => `${b.ratio} of ${b.of}'s ${what} (budget)`;
  const derive = (field: "quota" | "limitRange", key: string, value: unknown, what: string): void => {
    const obj = (doc[field] ??= {});
    obj[key] = value;
    ctx.defaulted.set([field, key], { path: `${field}.${key}`, value, doc: why(what), where: ctx.where });
  };
  const reads: readonly string[] = adapter?.settings.reads ?? [];
  if (reads.includes("quota")) {
    const set = doc.quota ?? {};
    const unset = (k: string): boolean => set[k] === undefined;
    if (unset("cpu")) derive("quota", "cpu", shareCpu(totals.cpuMillis, ratio), `CPU requests (${cpuToKubernetes(totals.cpuMillis)})`);
    if (unset("memory")) derive("quota", "memory", shareMemory(totals.memoryBytes, ratio), `memory requests (${memoryToKubernetes(totals.memoryBytes)})`);
    if (unset("cpuLimit")) derive("quota", "cpuLimit", shareCpu(totals.cpuLimitMillis, ratio), `CPU limits (${cpuToKubernetes(totals.cpuLimitMillis)})`);
    if (unset("memoryLimit")) derive("quota", "memoryLimit", shareMemory(totals.memoryLimitBytes, ratio), `memory limits (${memoryToKubernetes(totals.memoryLimitBytes)})`);
    if (unset("pods")) derive("quota", "pods", shareCount(totals.pods, ratio, 1), `pods (${totals.pods})`);
    if (unset("persistentVolumeClaims") && totals.persistentVolumeClaims !== undefined) derive("quota", "persistentVolumeClaims", shareCount(totals.persistentVolumeClaims, ratio, 0), `claims (${totals.persistentVolumeClaims})`);
    if (unset("storage") && totals.storageBytes !== undefined) derive("quota", "storage", shareMemory(totals.storageBytes, ratio), `storage (${memoryToKubernetes(totals.storageBytes)})`);
  } else {
    // No quota object on this target: the share is a ceiling on what the environment requests.
    const own = environmentTotals({ services });
    const cpuCap = Math.floor(totals.cpuMillis * ratio);
    const memCap = Math.floor(totals.memoryBytes * ratio);
    if (own.cpuMillis > cpuCap || own.memoryBytes > memCap) {
      err(["budget"], `the services request ${formatCpu(own.cpuMillis)} CPU and ${formatMemory(own.memoryBytes)} memory in all (requests × replicas), over this environment's budget of ${b.ratio} of ${b.of}'s totals (${formatCpu(cpuCap)}, ${formatMemory(memCap)}); lower replicas or resources, or raise budget.ratio`);
    }
  }
  const parentLr = ref.model.limitRange;
  if (reads.includes("limitRange") && parentLr && doc.limitRange) {
    const fromDefault = (k: string): boolean => ctx.defaulted.get(["limitRange", k])?.path === `limitRange.${k}`;
    if (fromDefault("cpu")) derive("limitRange", "cpu", shareCpu(parentLr.cpuMillis, ratio), "limitRange.cpu");
    if (fromDefault("memory")) derive("limitRange", "memory", shareMemory(parentLr.memoryBytes, ratio), "limitRange.memory");
    if (fromDefault("cpuLimit")) derive("limitRange", "cpuLimit", shareCpu(parentLr.cpuLimitMillis, ratio), "limitRange.cpuLimit");
    if (fromDefault("memoryLimit")) derive("limitRange", "memoryLimit", shareMemory(parentLr.memoryLimitBytes, ratio), "limitRange.memoryLimit");
  }
  return { of: b.of, ratio };
}
