import { EnvironmentConfig, ServiceConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { k8sEnv, miniApp, resolve } from "../helpers";

/*
 * The namespace enforces kubernetes.podSecurity (Pod Security admission). A service whose
 * hardening that level refuses would have no pod admitted: refused at its security field instead.
 */

const problems = (security: ServiceConfig["security"], over: Partial<EnvironmentConfig> = {}): string[] =>
  resolve(miniApp(), { staging: k8sEnv({ services: { web: { replicas: 2 }, api: { replicas: 2, security } }, ...over }) })
    .issues.filter((i) => i.severity !== "warning" && i.path.startsWith("services.api.security"))
    .map(formatIssue);

const lead = (level: string): string => `Pod Security "${level}" (kubernetes.podSecurity, which the namespace enforces)`;

describe("Pod Security admission of the namespace", () => {
  it.each([
    [{ addCapabilities: ["CHOWN"] }, "addCapabilities", "lets a container add NET_BIND_SERVICE only, not CHOWN", "remove CHOWN"],
    [{ privileged: true }, "privileged", "refuses privileged containers", "set privileged: false"],
    [{ seccompProfile: "Unconfined" }, "seccompProfile", 'refuses seccomp profile "Unconfined"', 'use "RuntimeDefault" or a Localhost profile'],
    [{ runAsNonRoot: false }, "runAsNonRoot", "requires runAsNonRoot: true", "set runAsNonRoot: true (and a non-zero user)"],
    [{ noNewPrivileges: false }, "noNewPrivileges", "requires allowPrivilegeEscalation: false", "set noNewPrivileges: true"],
    [{ dropCapabilities: ["NET_RAW"] }, "dropCapabilities", "requires every capability dropped", 'include "ALL" in dropCapabilities'],
  ] as [ServiceConfig["security"], string, string, string][])("restricted (the default) refuses %j at security.%s", (security, field, what, fix) => {
    const found = problems(security);
    expect(found).toEqual([
      expect.stringContaining(`services.api.security.${field}: ${lead("restricted")} ${what}, so the cluster admits no pod of "api" and apply fails when its rollout times out; ${fix}, or set kubernetes.podSecurity to "baseline" in this environment`),
    ]);
  });

  it("restricted admits the defaults and an added NET_BIND_SERVICE", () => {
    expect(problems(undefined)).toEqual([]);
    expect(problems({ addCapabilities: ["NET_BIND_SERVICE"] })).toEqual([]);
  });

  it("baseline admits root, escalation and the default capability set, but not SYS_ADMIN, privileged or Unconfined", () => {
    const baseline = { kubernetes: { podSecurity: "baseline" as const } };
    expect(problems({ runAsNonRoot: false, noNewPrivileges: false, dropCapabilities: [], addCapabilities: ["CHOWN", "SETUID"] }, baseline)).toEqual([]);
    expect(problems({ addCapabilities: ["SYS_ADMIN"], privileged: true, seccompProfile: "Unconfined" }, baseline).map((m) => m.split(":")[1].trim())).toEqual([
      "services.api.security.privileged",
      "services.api.security.seccompProfile",
      "services.api.security.addCapabilities",
    ]);
    expect(problems({ addCapabilities: ["SYS_ADMIN"] }, baseline)[0]).toContain('or set kubernetes.podSecurity to "privileged" in this environment');
  });

  it("privileged admits anything", () => {
    expect(problems({ privileged: true, seccompProfile: "Unconfined", addCapabilities: ["SYS_ADMIN"], runAsNonRoot: false }, { kubernetes: { podSecurity: "privileged" } })).toEqual([]);
  });
});
