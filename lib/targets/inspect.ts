/**
 * A target-neutral view of a synthesized stack (its cdk.tf.json), so guardrails judge what will
 * really be applied — escape hatches and overrides included — without knowing resource types.
 * Each target adapter builds this view for the resource types it emits.
 */
import { containsUrlPassword } from "../model/url";

/** One running unit (a Docker container, or a Kubernetes pod template's container). */
export interface WorkloadView {
  /** `type.logicalId` in the stack, e.g. `docker_container.docker_api_container-1_1A2B3C4D`. */
  readonly resource: string;
  /** The envkit service it belongs to (from its labels), when known. */
  readonly service?: string;
  readonly image?: string;
  readonly replicas: number;
  /** Undefined means "not set" (the runtime's default applies). */
  readonly runAsNonRoot?: boolean;
  readonly user?: string;
  readonly privileged: boolean;
  readonly allowPrivilegeEscalation: boolean;
  readonly dropsAllCapabilities: boolean;
  readonly readOnlyRootFilesystem: boolean;
  readonly seccompConfined: boolean;
  readonly hasHealthCheck: boolean;
  readonly hasLimits: boolean;
  readonly hasRequests: boolean;
  /** `network`, `pid`, `ipc` shared with the host. */
  readonly hostNamespaces: readonly string[];
  /** Host paths mounted into the container (hostPath volumes, bind mounts). */
  readonly hostMounts: readonly string[];
  /** Published host ports as `address:port`. */
  readonly publishedPorts: readonly string[];
  /** Whether a PodDisruptionBudget selects it (Kubernetes; undefined elsewhere). */
  readonly hasDisruptionBudget?: boolean;
  /** A job or cron job: runs to completion (judged by its exit code, no health check). @default false */
  readonly runsToCompletion?: boolean;
}

/** Namespace-level controls (Kubernetes only). */
export interface NamespaceControls {
  readonly quota: boolean;
  readonly limitRange: boolean;
  readonly defaultDeny: boolean;
}

/** What guardrails need from one synthesized stack. */
export interface StackView {
  readonly workloads: readonly WorkloadView[];
  readonly namespace?: NamespaceControls;
  /** Secret material written into the synthesized JSON (a literal), with why: never acceptable. */
  readonly secretLeaks: readonly { readonly resource: string; readonly message: string }[];
  /**
   * Resources through which a secret value (from its variable) is kept in Terraform state in
   * clear text, with why and the way that keeps it out. @default none
   */
  readonly stateExposures?: readonly { readonly resource: string; readonly message: string }[];
  /**
   * The type of the stack's state backend as synthesized (`terraform.backend`: "s3", "local", …,
   * or "cloud" for `terraform.cloud`); "local" when the document has neither (Terraform's
   * default). @default "local"
   */
  readonly backend?: string;
}

/** The synthesized JSON of a stack, loosely typed. */
export type StackJson = { resource?: Record<string, Record<string, Record<string, unknown>>> } & Record<string, unknown>;

/** Every `[type, logicalId, body]` of the stack's resources, in stable order. */
export function resources(json: StackJson, type?: string): [string, string, Record<string, unknown>][] {
  const out: [string, string, Record<string, unknown>][] = [];
  for (const t of Object.keys(json.resource ?? {}).sort()) {
    if (type && t !== type) continue;
    const byId = json.resource![t];
    for (const id of Object.keys(byId).sort()) out.push([t, id, byId[id]]);
  }
  return out;
}

const SECRET_WORD = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)/i;
/** An environment-variable-like or attribute-like name (not a path, not free text). */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Keys that name or point at a secret rather than hold one (`secret_name`, `DB_PASSWORD_FILE`). */
const REFERENCE_KEY = /(_?name|_?ref|_?id|_?revision|_?file|_?path|description)$/i;

const ASSIGNMENT = /^\s*(?:export\s+)?["']?([A-Za-z_][A-Za-z0-9_.-]{0,200})["']?\s*[:=]\s*(.*)$/;
const PRIVATE_KEY = /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----/;

/**
 * Lines of a text file (a service's config file) that look like secret material, by the
 * patterns of {@link findSecretLiterals}: `key = value` / `key: value` with a secret-like key and a
 * literal value, a URL with a password, a PEM private key. Only line numbers and what was found
 * are returned, never the text. Linear in the text's length.
 */
export function findSecretLinesInText(text: string): { line: number; message: string }[] {
  // No line can match unless the whole text holds what each pattern needs: a secret-like word (an
  // assignment's key), "-----BEGIN" (a private key), an "@" (a URL's password). A 1,000-service
  // rules file (2 MB) has none of them: three native scans instead of ~60,000 lines' patterns.
  if (!SECRET_WORD.test(text) && !text.includes("-----BEGIN") && !text.includes("@")) return [];
  return secretLinesOf(text);
}

/** {@link findSecretLinesInText} without its whole-text shortcut (exported for its property test). */
export function secretLinesOf(text: string): { line: number; message: string }[] {
  const out: { line: number; message: string }[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.length > 4096 ? raw.slice(0, 4096) : raw;
    if (PRIVATE_KEY.test(line)) return void out.push({ line: i + 1, message: "holds a private key" });
    const m = ASSIGNMENT.exec(line);
    if (m) {
      const key = m[1];
      const value = m[2].trim().replace(/^["']|["'],?$/g, "").replace(/[;,]$/, "").trim();
      const last = key.split(/[.-]/).pop()!;
      if (value !== "" && SECRET_WORD.test(key) && !REFERENCE_KEY.test(last) && !value.startsWith("${") && !value.startsWith("/") && !value.startsWith("$")) {
        return void out.push({ line: i + 1, message: "assigns a literal value to a secret-like key" });
      }
    }
    if (containsUrlPassword(line)) out.push({ line: i + 1, message: "holds a URL with an embedded password" });
  });
  return out;
}

/** `test`, remembering its answer for each name. */
function once(test: (name: string) => boolean): (name: string) => boolean {
  const known = new Map<string, boolean>();
  return (name) => {
    let yes = known.get(name);
    if (yes === undefined) known.set(name, (yes = test(name)));
    return yes;
  };
}

/**
 * Finds literal secret material anywhere in a stack: `KEY=value` assignments with a secret-like
 * key (unless the value is a file path or a Terraform reference), attributes with a secret-like
 * identifier as key, and URLs with a password. Every check is linear in the string's length (a
 * backtracking pattern here let one long configuration value stall validation for minutes), and
 * only identifier-like keys count: a mount path such as `/var/cache/tokens` is not a secret key.
 */
export function findSecretLiterals(json: unknown, at = ""): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  // Whether an attribute key, or the variable of a `NAME=value` string, names a secret: patterns
  // asked for every string of the stack about a few hundred distinct names, answered once per name.
  const secretKey = once((key) => IDENTIFIER.test(key) && SECRET_WORD.test(key) && !REFERENCE_KEY.test(key));
  const secretVariable = once((name) => IDENTIFIER.test(name) && SECRET_WORD.test(name) && !name.toUpperCase().endsWith("_FILE"));
  const isRef = (s: string): boolean => s.startsWith("${") || s.startsWith("/");
  // The path is kept as segments and joined only for a finding: this walk visits every string of
  // every stack on each synthesis (a path string per node was most of its time at 1,000 services).
  const segs: (string | number)[] = [];
  const path = (): string => {
    let p = at;
    for (const s of segs) p = typeof s === "number" ? `${p}[${s}]` : p ? `${p}.${s}` : s;
    return p;
  };
  const visit = (v: unknown, key?: string): void => {
    if (typeof v === "string") {
      // A multi-line string is a file's text (config files): judged line by line.
      if (v.includes("\n")) {
        const hit = findSecretLinesInText(v)[0];
        if (hit) out.push({ path: path(), message: `line ${hit.line} of this text ${hit.message}` });
        else if (key && secretKey(key) && !isRef(v)) out.push({ path: path(), message: `sets secret-like key "${key}" to a literal value` });
        return;
      }
      const eq = v.indexOf("=");
      const name = eq > 0 ? v.slice(0, eq) : "";
      const value = eq > 0 ? v.slice(eq + 1) : "";
      if (value !== "" && secretVariable(name) && !isRef(value)) {
        out.push({ path: path(), message: `assigns a literal value to secret-like variable "${name}"` });
      } else if (key && secretKey(key) && !isRef(v)) {
        out.push({ path: path(), message: `sets secret-like key "${key}" to a literal value` });
      } else if (containsUrlPassword(v)) out.push({ path: path(), message: "contains a URL with an embedded password" });
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        segs.push(i);
        visit(v[i]);
        segs.pop();
      }
    } else if (v && typeof v === "object") {
      // An index loop: this function is rarely optimized (it recurses through every shape of the
      // document), and unoptimized for-of allocates an iterator and a result per key: ~23 MB of a
      // 1,000-service × 2-environment synth's garbage (2026-12-02).
      const keys = Object.keys(v);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        if (k === "//") continue;
        segs.push(k);
        visit((v as Record<string, unknown>)[k], k);
        segs.pop();
      }
    }
  };
  visit(json);
  return out;
}
