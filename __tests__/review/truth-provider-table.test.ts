/*
 * The one per-type table (lib/review/replacement.ts) against the providers' schemas at the pinned
 * tags (fixtures extracted from the provider sources; each says how). A provider upgrade that
 * changes a ForceNew flag fails here until the table follows.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { RULES, classify, forcesReplacement } from "../../lib/review/replacement";

const dir = path.join(__dirname, "..", "fixtures", "provider-schema");
const docker = JSON.parse(fs.readFileSync(path.join(dir, "docker-3.6.2.json"), "utf8")) as {
  resources: Record<string, { hasUpdate: boolean; attributes: { path: string; block: boolean; forceNew: boolean; settable: boolean; line: string }[] }>;
};
const k8s = JSON.parse(fs.readFileSync(path.join(dir, "kubernetes-2.38.0.json"), "utf8")) as {
  resources: Record<string, { forceNew: { path: string }[]; countOnly?: { path: string }[]; notForceNew?: { path: string }[]; forceNewWhenImmutable?: { path: string }[] }>;
};

describe("the docker rules agree with kreuzwerker/docker 3.6.2's schema", () => {
  it.each(Object.keys(docker.resources))("%s: the ForceNew paths are exactly the schema's", (type) => {
    const schema = docker.resources[type].attributes.filter((a) => a.forceNew).map((a) => a.path).sort();
    expect([...RULES[type].forceNew].sort()).toEqual(schema);
  });

  it.each(Object.keys(docker.resources))("%s: the count-only blocks are exactly the schema's ForceNew blocks", (type) => {
    const blocks = docker.resources[type].attributes.filter((a) => a.forceNew && a.block).map((a) => a.path).sort();
    expect([...(RULES[type].countOnly ?? [])].sort()).toEqual(blocks);
  });

  it.each(Object.keys(docker.resources))("%s: a type without Update is marked so (every argument replaces)", (type) => {
    expect(RULES[type].noUpdate === true).toBe(!docker.resources[type].hasUpdate);
  });

  it("docker_container: every settable top-level attribute is classified (ForceNew, sent by Update, or never applied)", () => {
    const r = RULES.docker_container;
    const top = docker.resources.docker_container.attributes.filter((a) => a.settable && !a.path.includes("."));
    const unclassified = top.filter((a) => ![...r.forceNew, ...(r.inPlace ?? []), ...(r.notApplied ?? [])].includes(a.path)).map((a) => `${a.path} (${a.line})`);
    expect(unclassified).toEqual([]);
  });

  it("docker_container: no attribute is both ForceNew and in place", () => {
    const r = RULES.docker_container;
    expect(r.forceNew.filter((p) => (r.inPlace ?? []).includes(p) || (r.notApplied ?? []).includes(p))).toEqual([]);
  });

  it("docker_container: a cpus change replaces, a cpu_quota change is planned in place and never applied (the old hand list had cpus in place)", () => {
    expect(classify("docker_container", "cpus")).toBe("replace");
    expect(classify("docker_container", "cpu_quota")).toBe("not-applied");
  });

  it("docker_container: editing an existing mount is in place and never applied; adding a mount replaces", () => {
    expect(classify("docker_container", "mounts.source", false)).toBe("not-applied");
    expect(classify("docker_container", "mounts", true)).toBe("replace");
  });
});

describe("the kubernetes rules agree with hashicorp/kubernetes 2.38.0's schema", () => {
  it.each(Object.keys(k8s.resources))("%s: the ForceNew paths are exactly the schema's", (type) => {
    expect([...RULES[type].forceNew].sort()).toEqual(k8s.resources[type].forceNew.map((f) => f.path).sort());
  });

  it.each(Object.keys(k8s.resources))("%s: count-only blocks and immutable-object rules match", (type) => {
    expect([...(RULES[type].countOnly ?? [])].sort()).toEqual((k8s.resources[type].countOnly ?? []).map((f) => f.path).sort());
    expect([...(RULES[type].forceNewWhenImmutable ?? [])].sort()).toEqual((k8s.resources[type].forceNewWhenImmutable ?? []).map((f) => f.path).sort());
  });

  it("stateful set: a claim template's storage request is not ForceNew (the old hand list replaced the set)", () => {
    for (const p of k8s.resources.kubernetes_stateful_set_v1.notForceNew!.map((f) => f.path)) {
      expect(classify("kubernetes_stateful_set_v1", `${p}.storage`, false)).toBe("not-applied");
    }
  });

  it("stateful set: revision_history_limit replaces (missing from the old hand list)", () => {
    expect(forcesReplacement("kubernetes_stateful_set_v1", "spec.revision_history_limit")).toBe(true);
  });

  it("pod disruption budget: max_unavailable replaces (the whole spec is ForceNew; missing from the old hand list)", () => {
    expect(forcesReplacement("kubernetes_pod_disruption_budget_v1", "spec.max_unavailable")).toBe(true);
  });

  it("config map: envkit's immutable config maps are replaced on a data change", () => {
    expect(forcesReplacement("kubernetes_config_map_v1", "data.LOG_LEVEL")).toBe(true);
  });

  it("job: a new image replaces the Job (its pod template is immutable), so it runs again; the TTL is in place", () => {
    expect(classify("kubernetes_job_v1", "spec[0].template[0].spec[0].container[0].image")).toBe("replace");
    expect(classify("kubernetes_job_v1", "spec[0].ttl_seconds_after_finished")).toBe("in-place");
    expect(classify("kubernetes_job_v1", "wait_for_completion")).toBe("in-place");
  });

  it("cron job: a new image updates the cron job in place (its job template's pod spec is updatable); the schedule too", () => {
    expect(classify("kubernetes_cron_job_v1", "spec[0].job_template[0].spec[0].template[0].spec[0].container[0].image", false)).toBe("in-place");
    expect(classify("kubernetes_cron_job_v1", "spec[0].schedule")).toBe("in-place");
    expect(classify("kubernetes_cron_job_v1", "spec[0].job_template[0].spec[0].completions")).toBe("replace");
  });

  it("every type in the table is in one of the two fixtures (no rule without a source)", () => {
    const known = new Set([...Object.keys(docker.resources), ...Object.keys(k8s.resources), "kubernetes_persistent_volume_claim_v1"]);
    expect(Object.keys(RULES).filter((t) => !known.has(t))).toEqual([]);
  });
});
