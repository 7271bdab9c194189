/** DNS-1123 label: what Kubernetes and Docker both accept for names we derive. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_LABEL = 63;

/** Why `name` is not a valid DNS-1123 label, with a suggested fix; undefined when valid. */
export function checkDnsLabel(name: string, max = MAX_LABEL): string | undefined {
  if (!DNS1123_LABEL.test(name)) {
    const fixed = name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
    return `"${name}" is not a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)${fixed && fixed !== name ? `; e.g. "${fixed}"` : ""}`;
  }
  if (name.length > max) return `"${name}" is ${name.length} characters; the limit is ${max}`;
  return undefined;
}

/** The one naming rule for environment-scoped resources: `<app>-<env>-<purpose>`. */
export function scopedName(app: string, env: string, ...purpose: string[]): string {
  return [app, env, ...purpose].join("-");
}

/** Secret names are Terraform-variable friendly: `db_password`. */
export const SECRET_NAME = /^[a-z][a-z0-9_]*$/;

/** `db_password` → `db-password` for resource names. */
export function secretResourceName(secret: string): string {
  return secret.replace(/_/g, "-");
}

/** `db_password` → `DB_PASSWORD_FILE` (the seeds' `*_FILE` convention). */
export function secretFileEnv(secret: string): string {
  return `${secret.toUpperCase()}_FILE`;
}

/** DNS-1035 label: a DNS-1123 label that starts with a letter (Kubernetes Service names). */
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Why `name` cannot name a Kubernetes Service (a DNS-1035 label), with a fix; undefined when it can. */
export function checkDns1035Label(name: string, max = MAX_LABEL): string | undefined {
  const dns1123 = checkDnsLabel(name, max);
  if (dns1123) return dns1123;
  if (!DNS1035_LABEL.test(name)) {
    const fixed = `svc-${name}`.slice(0, max).replace(/-+$/, "");
    return `"${name}" does not start with a letter, and a Kubernetes Service name is a DNS-1035 label (lowercase letters, digits and "-", starting with a letter); rename it, e.g. "${fixed}"`;
  }
  return undefined;
}

/** Longest IANA service name, the form Kubernetes requires of port names. */
export const MAX_PORT_NAME = 15;

/**
 * Why `name` is not an IANA service name (RFC 6335 §5.1, what Kubernetes requires of container
 * and Service port names), with a fix; undefined when valid: at most 15 characters of lowercase
 * letters, digits and "-", at least one letter, no leading, trailing or doubled "-".
 */
export function checkPortName(name: string): string | undefined {
  const problems: string[] = [];
  if (name.length > MAX_PORT_NAME) problems.push(`is ${name.length} characters (the limit is ${MAX_PORT_NAME})`);
  if (!/^[a-z0-9-]*$/.test(name)) problems.push(`has characters other than lowercase letters, digits and "-"`);
  if (!/[a-z]/.test(name)) problems.push("has no letter");
  if (/^-|-$/.test(name)) problems.push('starts or ends with "-"');
  if (name.includes("--")) problems.push('contains "--"');
  if (problems.length === 0) return undefined;
  let fixed = name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-{2,}/g, "-").replace(/^-+|-+$/g, "");
  if (!/[a-z]/.test(fixed)) fixed = `port-${fixed}`.replace(/-+$/, "");
  fixed = fixed.slice(0, MAX_PORT_NAME).replace(/-+$/, "");
  return `port name "${name}" ${problems.join(", ")}; port names are IANA service names, which Kubernetes requires: at most ${MAX_PORT_NAME} lowercase letters, digits and "-", with a letter, no "-" at either end and no "--", e.g. "${fixed}"`;
}

/** Where secrets appear inside containers on every target (`<NAME>_FILE` points here). */
export const SECRETS_MOUNT = "/run/secrets";

/** Volume names envkit gives its own mounts (`secrets`, `writable-<n>`); a user volume may not take them. */
export function isReservedVolumeName(name: string): boolean {
  return name === "secrets" || /^writable-\d+$/.test(name);
}

/**
 * Why `path` is not a normalised absolute container path, with a fix; undefined when it is:
 * starts with "/", no empty, "." or ".." segments and no trailing "/" (except "/" itself).
 */
export function checkContainerPath(path: string): string | undefined {
  if (!path.startsWith("/")) return `"${path}" must be an absolute path inside the container, e.g. "/${path.replace(/^\.?\/*/, "")}"`;
  if (path === "/") return undefined;
  const segments = path.slice(1).split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    const out: string[] = [];
    for (const s of segments) {
      if (s === "" || s === ".") continue;
      if (s === "..") out.pop();
      else out.push(s);
    }
    return `"${path}" is not a normalised path (no "//", "." or ".." segments, no trailing "/"); write "/${out.join("/")}"`;
  }
  return undefined;
}

/** True when `inner` is `outer` or lies below it (both normalised absolute paths). */
export function isWithinPath(inner: string, outer: string): boolean {
  return inner === outer || outer === "/" || inner.startsWith(`${outer}/`);
}

/**
 * Why `name` cannot be a construct id, or undefined: the constructs library keeps a construct's
 * children in a plain object, so an id such as "constructor" finds Object.prototype's member and
 * synthesis fails with "There is already a Construct with name …". Services, environments and
 * secrets become construct ids.
 */
export function checkConstructId(name: string, what: string): string | undefined {
  if (!Object.getOwnPropertyNames(Object.prototype).includes(name)) return undefined;
  return `"${name}" cannot name ${what}: it is a built-in property of JavaScript objects, which the construct tree behind synthesis would mistake for an existing child; rename it, e.g. "${name.toLowerCase().replace(/[^a-z0-9]+/g, "")}-1"`;
}

const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Why `key` is not a Kubernetes label/annotation key (`[prefix/]name`, k8s.io/apimachinery
 * validation IsQualifiedName), with a fix; undefined when it is. Docker accepts any such key.
 */
export function checkMetadataKey(key: string): string | undefined {
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) return `"${key}": the prefix before "/" must be a lowercase DNS subdomain of at most 253 characters, e.g. "acme.com/team"`;
  if (name.length === 0 || name.length > MAX_LABEL || !QUALIFIED_NAME.test(name)) return `"${key}" is not a label key: the name${prefix !== undefined ? " after the prefix" : ""} is 1-63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit, e.g. "team" or "acme.com/team"`;
  return undefined;
}

/** Why `source` is not a plain relative path inside the application folder, or undefined. */
export function checkRelativeSource(source: string): string | undefined {
  const segs = source.split("/");
  if (source === "" || source.startsWith("/") || /^[A-Za-z]:/.test(source) || source.includes("\\") || segs.some((s) => s === "" || s === "." || s === "..")) {
    return `"${source}" must be a relative path inside the application folder, without "..", "." or empty segments, e.g. "files/nginx.conf"`;
  }
  return undefined;
}
