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
