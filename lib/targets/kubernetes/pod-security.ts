import { ServiceModel } from "../../model/environment";
import { TargetIssue } from "../target";

/** The capabilities Pod Security "baseline" lets a container add (Kubernetes' default set). */
const BASELINE_CAPABILITIES = new Set(["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]);
/** The only capability Pod Security "restricted" lets a container add. */
const RESTRICTED_CAPABILITIES = new Set(["NET_BIND_SERVICE"]);

/**
 * What the namespace's Pod Security admission level (`kubernetes.podSecurity`, enforced) refuses
 * in a service's hardening, as errors at the `security.*` field: the cluster would admit none of
 * its pods, so its workload never becomes ready and apply fails only when the rollout times out.
 * The checks are Kubernetes' Pod Security Standards for the container fields envkit sets.
 */
export function podSecurityProblems(svc: ServiceModel, level: "restricted" | "baseline" | "privileged"): TargetIssue[] {
  if (level === "privileged") return [];
  const sec = svc.security;
  const out: TargetIssue[] = [];
  const refuse = (field: string, what: string, fix: string): void => {
    out.push({
      path: ["services", svc.name, "security", field],
      message: `Pod Security "${level}" (kubernetes.podSecurity, which the namespace enforces) ${what}, so the cluster admits no pod of "${svc.name}" and apply fails when its rollout times out; ${fix}, or set kubernetes.podSecurity to ${level === "restricted" ? '"baseline"' : '"privileged"'} in this environment`,
    });
  };
  if (sec.privileged) refuse("privileged", "refuses privileged containers", "set privileged: false");
  if (sec.seccompProfile === "Unconfined") refuse("seccompProfile", 'refuses seccomp profile "Unconfined"', 'use "RuntimeDefault" or a Localhost profile');
  const allowed = level === "restricted" ? RESTRICTED_CAPABILITIES : BASELINE_CAPABILITIES;
  const extra = sec.addCapabilities.filter((c) => !allowed.has(c));
  if (extra.length > 0) {
    const may = level === "restricted" ? "NET_BIND_SERVICE only" : [...BASELINE_CAPABILITIES].join(", ");
    refuse("addCapabilities", `lets a container add ${may}, not ${extra.join(", ")}`, `remove ${extra.join(", ")}`);
  }
  if (level === "restricted") {
    // A root user with runAsNonRoot: true is a configuration error of its own (resolve.ts).
    if (!sec.runAsNonRoot) refuse("runAsNonRoot", "requires runAsNonRoot: true", "set runAsNonRoot: true (and a non-zero user)");
    if (!sec.noNewPrivileges) refuse("noNewPrivileges", "requires allowPrivilegeEscalation: false", "set noNewPrivileges: true");
    if (!sec.dropCapabilities.includes("ALL")) refuse("dropCapabilities", "requires every capability dropped", 'include "ALL" in dropCapabilities');
  }
  return out;
}
