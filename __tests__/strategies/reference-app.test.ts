import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { diffStacks } from "../../lib/review/stack-diff";
import { cli, copyReferenceApp, edit } from "../helpers";

/*
 * The reference application's prod (Kubernetes, mandatory guardrails, promoted from staging)
 * through the CLI: api moves to blue-green with staging's 2.5.0 in its idle slot, web runs
 * staging's release as a canary, and the rollout verbs walk both to the end.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const API_PROD = "2.4.1@sha256:05e2ceb0ff1b850da1712f3a1674b7e09dc696ef963bdbb21d4b8aece5e57625";
const API_STAGING = "2.5.0@sha256:2fa4876f0f7500945785e3461659631513d3f12b7365c4156e72ef4593151c91";
const WEB = "1.27.2-alpine@sha256:abc8a76e06800ef0aa1494aa648f0fa6e1912d0e7604bc0f748cf2d088fd7be1";

/** A copy of the reference app with api blue-green (both slots on prod's release) and web a canary of its own release. */
function strategiesApp(): { dir: string; prod: string } {
  const dir = copyReferenceApp();
  const prod = path.join(dir, "environments", "prod.yaml");
  edit(prod, `  api: "${API_PROD}"\n`, "");
  edit(prod, "  api:\n    replicas: 3\n", `  api:\n    replicas: 3\n    rollout:\n      strategy: blue-green\n      live: blue\n      slots:\n        blue: "${API_PROD}"\n        green: "${API_PROD}"\n`);
  // Both slots of api count: 8 (HPA max) + 3 idle + 1 surge pods need more than prod's 18 cores.
  edit(prod, 'cpu: "18"', 'cpu: "20"');
  edit(prod, 'cpuLimit: "36"', 'cpuLimit: "40"');
  edit(prod, "  web:\n    replicas: 3\n", `  web:\n    replicas: 3\n    rollout: { strategy: canary, canary: { release: "${WEB}", weight: 10 } }\n`);
  return { dir, prod };
}

function synth(dir: string): Json {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-strategies-")), "out");
  const r = cli("synth", "--config", dir, "--out", out);
  if (r.code !== 0) throw new Error(r.err);
  return JSON.parse(fs.readFileSync(path.join(out, "stacks", "prod", "cdk.tf.json"), "utf8")) as Json;
}

describe("reference app prod with blue-green and canary services, through the CLI", () => {
  it("the quota fit counts both slots: prod's own quota is too small for a blue-green api", () => {
    const { dir, prod } = strategiesApp();
    edit(prod, 'cpu: "20"', 'cpu: "16"');
    expect(cli("validate", "--config", dir, "--env", "prod").err).toMatch(/quota\.cpu: \[ENVK-K8S-004\] the workloads need requests\.cpu 19500m at peak but the quota allows 16000m: .*api 1000m × 12 pods \[blue-green: 8 live \(blue\) \(autoscaler maximum\) \+ 3 idle \(green\) \+ 1 surge of the slot being rolled \(maxSurge 1\)\] = 12000m/);
  });

  it("validates under mandatory guardrails, warning that 10% of 3 replicas is 33%", () => {
    const { dir } = strategiesApp();
    const r = cli("validate", "--config", dir, "--env", "prod");
    expect(r.err).toMatch(/prod\.yaml:\d+: warning: services\.web\.rollout\.canary\.weight: 10% of 3 replica\(s\) runs 1 canary pod\(s\) next to 2 stable: 33%/);
    expect(r.code).toBe(0);
  });

  it("promote puts staging's api into the idle slot; the switch then changes only the Services' selectors and the HPA's target", () => {
    const { dir, prod } = strategiesApp();
    const promoted = cli("promote", "--config", dir, "--from", "staging", "--to", "prod", "api");
    expect(promoted.code).toBe(0);
    expect(fs.readFileSync(prod, "utf8")).toContain(`green: "${API_STAGING}"`);
    expect(cli("validate", "--config", dir, "--env", "prod").code).toBe(0);
    const before = synth(dir);
    expect(cli("rollout", "--config", dir, "--env", "prod", "--service", "api", "--switch").code).toBe(0);
    const after = synth(dir);
    const changes = diffStacks(before, after);
    // The slots' Deployments change only which one Terraform lets the autoscaler size (no API field).
    const fields = changes.flatMap((c) => c.attributes.map((a) => `${c.type} ${c.name}: ${a.path}`)).sort();
    expect(fields).toEqual([
      "kubernetes_deployment_v1 api-blue: lifecycle.ignore_changes",
      "kubernetes_deployment_v1 api-green: lifecycle.ignore_changes",
      "kubernetes_horizontal_pod_autoscaler_v2 api: spec.scale_target_ref.name",
      "kubernetes_service_v1 api-preview: spec.selector.envkit.dev/slot",
      "kubernetes_service_v1 api: spec.selector.envkit.dev/slot",
    ]);
  });

  it("two canary steps end with the canary's release as web's release and no canary block", () => {
    const { dir, prod } = strategiesApp();
    const step = () => cli("rollout", "--config", dir, "--env", "prod", "--service", "web", "--step");
    expect(step().code).toBe(0);
    expect(fs.readFileSync(prod, "utf8")).toContain("weight: 50 }");
    expect(step().code).toBe(0);
    const text = fs.readFileSync(prod, "utf8");
    expect(text).toContain("    rollout: { strategy: canary }\n");
    expect(text).toContain(`  web: "${WEB}"`);
    expect(cli("validate", "--config", dir, "--env", "prod").code).toBe(0);
  });
});
