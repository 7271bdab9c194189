import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EnvironmentConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { EnvironmentModel } from "../../lib/model/environment";
import { filePins } from "../../lib/policy/history";
import { ReleaseHistory } from "../../lib/policy/rule";
import { ruleById } from "../../lib/policy/rules";
import { cli, k8sEnv, miniApp, pullRequestRepo, resolve } from "../helpers";

/*
 * Promotion order (ENVK-REL-001) and digests (ENVK-IMG-002) count every release a service runs:
 * both blue-green slots and a canary, not only release.<svc>.
 */

const D = (c: string) => `sha256:${c.repeat(64)}`;
const OLD = `1.0.0@${D("a")}`; // what k8sEnv() pins for every service
const NEW = `1.5.0@${D("2")}`;
const noHistory: ReleaseHistory = { available: true, releasesOf: () => new Set() };
const releasesWithout = (svc: string): Record<string, string> => Object.fromEntries(Object.entries(k8sEnv().release!).filter(([k]) => k !== svc));

/** staging and prod resolved side by side (prod promoted from staging). */
function pair(staging: Partial<EnvironmentConfig>, prod: Partial<EnvironmentConfig>): { staging: EnvironmentModel; prod: EnvironmentModel } {
  const r = resolve(miniApp(), { staging: k8sEnv(staging), prod: k8sEnv({ promotion: { from: "staging" }, ...prod }) });
  const errors = r.issues.filter((i) => i.severity !== "warning" && !r.policy.issues.includes(i));
  if (errors.length) throw new Error(errors.map(formatIssue).join("\n"));
  const by = (n: string) => r.environments.find((e) => e.model.name === n)!.model;
  return { staging: by("staging"), prod: by("prod") };
}

const rel001 = (envs: { staging: EnvironmentModel; prod: EnvironmentModel }, history = noHistory) => ruleById("ENVK-REL-001")!.check({ pass: "project", env: envs.prod, all: [envs.staging, envs.prod], history });

const blueGreenApi = (green: string): Partial<EnvironmentConfig> => ({
  release: releasesWithout("api"),
  services: { web: { replicas: 2 }, api: { replicas: 2, rollout: { strategy: "blue-green", live: "blue", slots: { blue: OLD, green } } } },
});
const canaryWeb = (release: string): Partial<EnvironmentConfig> => ({ services: { api: { replicas: 2 }, web: { replicas: 2, rollout: { strategy: "canary", canary: { release, weight: 10 } } } } });

describe("ENVK-REL-001 over slots and canaries", () => {
  it("reports prod's idle slot release that never ran in staging, at the slot", () => {
    const found = rel001(pair({}, blueGreenApi(NEW)));
    expect(found).toEqual([expect.objectContaining({ path: "services.api.rollout.slots.green", service: "api" })]);
    expect(found[0].message).toMatch(/^"api" slot green release "1\.5\.0@sha256:2+" never ran in "staging" \(it runs "1\.0\.0@sha256:a+"/);
  });

  it("reports prod's canary release that never ran in staging, at the canary", () => {
    const found = rel001(pair({}, canaryWeb(NEW)));
    expect(found).toEqual([expect.objectContaining({ path: "services.web.rollout.canary.release", service: "web" })]);
    expect(found[0].message).toMatch(/^"web" canary release "1\.5\.0@sha256:2+" never ran in "staging"/);
  });

  it("counts a release staging runs as a canary as having run there", () => {
    expect(rel001(pair(canaryWeb(NEW), canaryWeb(NEW)))).toEqual([]);
  });

  it("counts a release staging runs in a blue-green slot as having run there", () => {
    expect(rel001(pair(blueGreenApi(NEW), { release: { ...k8sEnv().release!, api: NEW } }))).toEqual([]);
  });

  it("counts a slot release that history shows in staging", () => {
    const ran: ReleaseHistory = { available: true, releasesOf: (e, s) => new Set(e === "staging" && s === "api" ? [NEW] : []) };
    expect(rel001(pair({}, blueGreenApi(NEW)), ran)).toEqual([]);
  });
});

describe("ENVK-IMG-002 over slots and canaries", () => {
  it("reports a slot release without a digest in a production-like environment", () => {
    const { prod } = pair({}, blueGreenApi("1.5.0"));
    const found = ruleById("ENVK-IMG-002")!.check({ pass: "model", env: prod });
    expect(found).toEqual([{ path: "services.api.rollout.slots.green", service: "api", message: 'release "1.5.0" of "api" (services.api.rollout.slots.green) has no digest' }]);
  });

  it("reports a canary release without a digest", () => {
    const { prod } = pair({}, canaryWeb("1.5.0"));
    expect(ruleById("ENVK-IMG-002")!.check({ pass: "model", env: prod }).map((f) => f.path)).toEqual(["services.web.rollout.canary.release"]);
  });
});

describe("release pins read from environment files (git history, the base ref)", () => {
  it("reads release.<svc>, both slots and a canary's release", () => {
    const pins = filePins({ release: { web: "1.0.0" }, services: { api: { rollout: { slots: { blue: "1.4.0", green: "1.5.0" } } }, web: { rollout: { canary: { release: "1.1.0", weight: 10 } } } } });
    expect(Object.fromEntries(pins)).toEqual({ web: ["1.0.0", "1.1.0"], api: ["1.4.0", "1.5.0"] });
  });

  it("ignores what is not a release string", () => {
    expect(Object.fromEntries(filePins({ release: { web: 3 }, services: { api: { rollout: "blue" }, db: null } }))).toEqual({});
  });
});

describe("ENVK-REL-001 over slots at a pull request's base (--base)", () => {
  const A = `1.0.0@${D("a")}`;
  const B = `1.1.0@${D("b")}`;
  const APP = "name: shop\nservices:\n  api:\n    image: ghcr.io/acme/api\n    health:\n      command: [\"true\"]\n";
  const staging = (rollout: string) => `target: kubernetes\nrelease:\n  api: "${A}"\npolicy:\n  enforcement: advisory\n${rollout}`;
  const prod = (green: string) =>
    `target: kubernetes\npromotion:\n  from: staging\npolicy:\n  enforcement: advisory\nservices:\n  api:\n    rollout:\n      strategy: blue-green\n      live: blue\n      slots:\n        blue: "${A}"\n        green: "${green}"\n`;

  /** main holds `base`; the checked-out branch "change" holds `head`. */
  function repo(base: [string, string], head: [string, string]): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-slots-base-"));
    fs.mkdirSync(path.join(root, "environments"));
    const write = ([s, p]: [string, string]) => {
      fs.writeFileSync(path.join(root, "app.yaml"), APP);
      fs.writeFileSync(path.join(root, "environments", "staging.yaml"), s);
      fs.writeFileSync(path.join(root, "environments", "prod.yaml"), p);
    };
    pullRequestRepo(root, () => write(base), () => write(head));
    return root;
  }
  const rel = (err: string) => err.split("\n").filter((l) => l.includes("[ENVK-REL-001]"));

  it("reports an idle slot bumped together with staging in one change", () => {
    const dir = repo([staging(""), prod(A)], [staging("").replace(A, B), prod(B)]);
    const found = rel(cli("validate", "--config", dir, "--base", "main").err);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/prod\.yaml:\d+: warning: services\.api\.rollout\.slots\.green: \[ENVK-REL-001\] "api" slot green release "1\.1\.0@sha256:b+" never ran in "staging" at the base main/);
  });

  it("accepts an idle slot on what staging ran as a canary at the base", () => {
    const canary = `services:\n  api:\n    rollout: { strategy: canary, canary: { release: "${B}", weight: 10 } }\n`;
    const dir = repo([staging(canary), prod(A)], [staging(canary), prod(B)]);
    expect(rel(cli("validate", "--config", dir, "--base", "main").err)).toEqual([]);
  });
});
