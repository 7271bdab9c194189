import { EnvkitError } from "../errors";
import { DiffReport, ResourceChange, attributeChanges } from "./stack-diff";
import { holdsData, isSensitivePath } from "./replacement";

type Json = Record<string, unknown>;

/** Marks every path the plan says is sensitive (`before_sensitive`/`after_sensitive` trees). */
function sensitivePaths(tree: unknown, prefix = ""): string[] {
  if (tree === true) return [prefix];
  if (Array.isArray(tree)) return tree.flatMap((t, i) => sensitivePaths(t, prefix ? `${prefix}.${i}` : String(i)));
  if (tree && typeof tree === "object") return Object.entries(tree).flatMap(([k, v]) => sensitivePaths(v, prefix ? `${prefix}.${k}` : k));
  return [];
}

/**
 * Renders the JSON of `terraform show -json plan.out` (format 1.x) into the same report as a
 * synthesized diff: Terraform's own actions decide create/update/replace/delete, and values it
 * marks sensitive are masked along with envkit's own sensitive paths.
 */
export function planToReport(plan: unknown, env: string, file = "plan.json"): DiffReport {
  const p = plan as Json;
  if (!p || typeof p !== "object" || !Array.isArray(p.resource_changes)) {
    throw new EnvkitError([{ file, path: "resource_changes", message: 'is missing; pass the output of "terraform show -json <planfile>"' }]);
  }
  const changes: ResourceChange[] = [];
  for (const rc of p.resource_changes as Json[]) {
    const change = (rc.change ?? {}) as Json;
    const actions = (change.actions as string[] | undefined) ?? [];
    if (actions.length === 0 || actions.every((a) => a === "no-op" || a === "read")) continue;
    const type = String(rc.type);
    const action = actions.includes("delete") && actions.includes("create") ? "replace" : actions.includes("delete") ? "delete" : actions.includes("create") ? "create" : "update";
    const masked = new Set([...sensitivePaths(change.before_sensitive), ...sensitivePaths(change.after_sensitive)]);
    const replacePaths = new Set(((change.replace_paths as unknown[][] | undefined) ?? []).map((rp) => rp.filter((s) => typeof s === "string").join(".")));
    const attributes = attributeChanges(type, (change.before as Json | null) ?? undefined, (change.after as Json | null) ?? undefined).map((a) => {
      const hidden = [...masked].some((m) => a.path === m || a.path.startsWith(`${m}.`)) || isSensitivePath(a.path);
      return { ...a, before: hidden && a.before !== undefined ? "(sensitive)" : a.before, after: hidden && a.after !== undefined ? "(sensitive)" : a.after, forcesReplacement: action === "replace" && [...replacePaths].some((r) => a.path.startsWith(r)) };
    });
    const name = ((change.after ?? change.before) as Json | null)?.name;
    changes.push({ address: String(rc.address), type, name: typeof name === "string" ? name : undefined, action, attributes: action === "delete" ? [] : attributes, dataLoss: (action === "delete" || action === "replace") && holdsData(type) });
  }
  return { environments: [{ env, status: changes.length ? "changed" : "unchanged", changes, connectionsChanged: false }] };
}
