import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { RuleFileSchema } from "../../lib/observability/rule-file";
import { fromTerraformLiteral } from "../../lib/targets/shared/terraform-literal";
import { referenceEnvironments, resourcesOf, synthJson } from "../helpers";
import { promqlErrors } from "./promql";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/*
 * The rule files exactly as each reference environment's synthesized stack places them, read back
 * from the JSON: Docker's in the Prometheus seed's upload, Swarm's in the docker_config Prometheus
 * mounts, Kubernetes' in the prometheus-rules ConfigMap. rules.test.ts checks the generator with
 * every target's selectors; this checks what lands where Prometheus reads it.
 */

const RULES_PATH = "/etc/envkit/rules.yml";

/** The placed rule file of one stack, by the target's way of placing it (undefined: none placed). */
function placedRules(json: Json): string | undefined {
  for (const c of resourcesOf(json, "docker_container")) {
    const u = (c.upload ?? []).find((x: Json) => x.file === RULES_PATH);
    if (u) return fromTerraformLiteral(u.content);
  }
  for (const s of resourcesOf(json, "docker_service")) {
    const ref = (s.task_spec.container_spec.configs ?? []).find((x: Json) => x.file_name === RULES_PATH);
    if (!ref) continue;
    const address = String(ref.config_id).replace(/^\$\{docker_config\.([^.]+)\.id\}$/, "$1");
    return Buffer.from(json.resource.docker_config[address].data, "base64").toString("utf8");
  }
  for (const m of resourcesOf(json, "kubernetes_config_map_v1")) {
    if (m.metadata.name === "prometheus-rules") return Object.values(m.data as Record<string, string>)[0];
  }
  return undefined;
}

const envs = referenceEnvironments();
const stacks = synthJson(envs);
const placed = envs.map((e) => [e.model.name, e.model.target, placedRules(stacks.get(e.model.name)!)] as const);

describe("the rule files each reference environment places", () => {
  it("every reference environment places one (Docker and Swarm in the monitoring set, Kubernetes as a ConfigMap)", () => {
    expect(placed.map(([name, target, text]) => [name, target, text === undefined ? "none" : "placed"])).toEqual(envs.map((e) => [e.model.name, e.model.target, "placed"]));
  });

  it.each(placed.map(([n, t, text]) => [n, t, text ?? ""] as const))("%s (%s): a valid rule file whose every expression parses as PromQL", (_n, _t, text) => {
    const file = parse(text);
    expect(RuleFileSchema.safeParse(file).success).toBe(true);
    const exprs: string[] = file.groups.flatMap((g: Json) => g.rules.map((r: Json) => r.expr));
    expect(exprs.length).toBeGreaterThan(5);
    for (const expr of exprs) expect({ expr, errors: promqlErrors(expr) }).toEqual({ expr, errors: [] });
  });

  it("on Swarm only rules on series that exist there: the services' own metrics, no cAdvisor series", () => {
    const text = placed.find(([n]) => n === "swarm")![2]!;
    expect(text).not.toMatch(/container_[a-z_]+/);
    const alerts = new Set((parse(text).groups as Json[]).flatMap((g) => g.rules.map((r: Json) => r.alert).filter(Boolean)));
    expect([...alerts].sort()).toEqual(["ErrorBudgetBurn", "ErrorRateHigh", "LatencyP99High", "ServiceTargetDown", "ServiceTargetsMissing"]);
  });

  const promtool = spawnSync("promtool", ["--version"]).status === 0;
  (promtool ? it : it.skip)("promtool check rules accepts every placed file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-placed-rules-"));
    try {
      const files = placed.map(([n, , text]) => {
        const file = path.join(dir, `${n}.rules.yml`);
        fs.writeFileSync(file, text ?? "");
        return file;
      });
      const out = execFileSync("promtool", ["check", "rules", ...files], { encoding: "utf8" });
      for (const f of files) expect(out).toContain(`Checking ${f}\n  SUCCESS`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  if (!promtool) it("promtool is missing: SKIPPED `promtool check rules` of the placed files (apt-get install -y prometheus)", () => console.warn("SKIPPED: promtool not found; the placed rule files were not checked by promtool"));
});
