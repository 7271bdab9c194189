import fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { NOT_INHERITED, inherit, inheritable } from "../../lib/config/extends";
import { EnvironmentConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { validateDir } from "../../lib/pipeline";
import { cli, copyReferenceApp, dockerEnv, k8sEnv, miniApp, resolve } from "../helpers";

const errorsOf = (envs: Record<string, EnvironmentConfig>, app = miniApp()): string =>
  resolve(app, envs)
    .issues.filter((i) => i.severity !== "warning")
    .map(formatIssue)
    .join("\n");
const modelOf = (envs: Record<string, EnvironmentConfig>, name: string, app = miniApp()) => {
  const r = resolve(app, envs);
  const errors = r.issues.filter((i) => i.severity !== "warning" && !r.policy.issues.includes(i));
  if (errors.length) throw new Error(errors.map(formatIssue).join("\n"));
  return r.environments.find((e) => e.model.name === name)!;
};

/** Arbitrary environment-file-like documents: nested maps, lists and scalars, plus the keys that are never inherited. */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small" }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), tie("node"), { maxKeys: 3 })),
})).node;
const envDoc = fc.record(
  {
    target: fc.constantFrom("docker", "kubernetes"),
    release: fc.dictionary(fc.constantFrom("web", "api"), fc.string()),
    services: fc.dictionary(fc.constantFrom("web", "api"), fc.dictionary(fc.constantFrom("replicas", "env", "resources"), value)),
    backend: fc.record({ type: fc.constant("local"), path: fc.string() }),
    network: fc.record({ subnet: fc.string() }, { requiredKeys: [] }),
    extends: fc.string(),
    quota: fc.dictionary(fc.constantFrom("cpu", "memory"), fc.string()),
  },
  { requiredKeys: ["target"] },
);

describe("extends: merge semantics", () => {
  it("extending with an empty overlay equals the parent, minus what is never inherited (property)", () => {
    fc.assert(
      fc.property(envDoc, (parent) => {
        const child = inherit(parent, {});
        const expected: Record<string, unknown> = structuredClone(parent) as Record<string, unknown>;
        delete expected.backend;
        delete expected.extends;
        if (expected.network) {
          delete (expected.network as Record<string, unknown>).subnet;
          if (Object.keys(expected.network as object).length === 0) delete expected.network;
        }
        expect(child).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("never carries backend, network.subnet or extends to a child (property)", () => {
    fc.assert(
      fc.property(envDoc, (parent) => {
        const c = inheritable(parent);
        expect(c.backend).toBeUndefined();
        expect(c.extends).toBeUndefined();
        expect((c.network as Record<string, unknown> | undefined)?.subnet).toBeUndefined();
      }),
    );
    expect(NOT_INHERITED).toEqual(["backend", "network.subnet", "extends"]);
  });

  it("lets the child win key by key, as an environment over app.yaml (property)", () => {
    fc.assert(
      fc.property(envDoc, fc.integer({ min: 0, max: 50 }), (parent, replicas) => {
        const child = inherit(parent, { services: { web: { replicas } } }) as { services: { web: { replicas: number } } };
        expect(child.services.web.replicas).toBe(replicas);
      }),
    );
  });
});

describe("extends: resolution", () => {
  const prod = k8sEnv({ services: { web: { replicas: 3 }, api: { replicas: 4 } } });
  const dr = { target: "kubernetes", extends: "prod", domain: "dr.example.com" } as EnvironmentConfig;

  it("gives the child the parent's services, releases and quota, with its own changes", () => {
    const m = modelOf({ prod, dr }, "dr").model;
    const p = modelOf({ prod, dr }, "prod").model;
    expect(m.services.map((s) => [s.name, s.replicas, s.version])).toEqual(p.services.map((s) => [s.name, s.replicas, s.version]));
    expect(m.domain).toBe("dr.example.com");
    expect(m.extendsChain).toEqual(["prod"]);
  });

  it("does not inherit the parent's backend (two environments must never share a state)", () => {
    const m = modelOf({ prod, dr }, "dr").model;
    expect(m.backend).toEqual({ type: "local", path: "../../../terraform.dr.tfstate" });
  });

  it("refuses a missing parent, naming the environments", () => {
    expect(errorsOf({ prod, dr: { ...dr, extends: "prd" } })).toMatch(/extends: no environment "prd" to extend \(did you mean "prod"\?\)/);
  });

  it("refuses a cycle, naming the chain", () => {
    const a = { target: "docker", extends: "b" } as EnvironmentConfig;
    const b = { ...dockerEnv(), extends: "a" } as EnvironmentConfig;
    expect(errorsOf({ a, b })).toMatch(/extends makes a cycle: (a → b → a|b → a → b)/);
  });

  it("refuses extending itself", () => {
    expect(errorsOf({ prod: { ...prod, extends: "prod" } as EnvironmentConfig })).toMatch(/"prod" is this environment itself/);
  });

  it("refuses a parent on another target", () => {
    expect(errorsOf({ prod, dr: { target: "docker", extends: "prod" } as EnvironmentConfig })).toMatch(/target: "docker" differs from the target of "prod" \(kubernetes\)/);
  });

  it("follows a chain of parents (perf → dr → prod)", () => {
    const perf = { target: "kubernetes", extends: "dr", services: { api: { replicas: 6 } } } as EnvironmentConfig;
    const m = modelOf({ prod, dr, perf }, "perf").model;
    expect(m.extendsChain).toEqual(["dr", "prod"]);
    expect(m.domain).toBe("dr.example.com");
    expect(m.services.find((s) => s.name === "api")!.replicas).toBe(6);
    expect(m.services.find((s) => s.name === "web")!.replicas).toBe(3);
  });

  it("explain names the parent's file and line for an inherited value", () => {
    const dir = copyReferenceApp();
    fs.writeFileSync(path.join(dir, "environments", "dr.yaml"), "target: kubernetes\nextends: prod\ndomain: dr.shop.example.com\ntls: { secretName: shop-dr-tls }\n");
    const r = cli("explain", "--config", dir, "--env", "dr", "services.web.replicas");
    expect(r.err).toBe("");
    expect(r.out).toMatch(/services\.web\.replicas = 3 {4}# .*environments\/prod\.yaml:\d+/);
    const b = cli("explain", "--config", dir, "--env", "dr", "backend.type");
    expect(b.out).toMatch(/backend\.type = "local" {4}# default/);
    expect(validateDir(dir, "dr").issues.filter((i) => i.severity !== "warning" && !/ENVK-/.test(i.message))).toEqual([]);
  });
});

describe("shared env", () => {
  const app = { ...miniApp(), env: { TZ: "UTC", LOG_LEVEL: "info" } };
  const withOwn = { ...app, services: { ...app.services, api: { ...app.services.api, env: { LOG_LEVEL: "debug" } } } };

  it("gives every service the app's variables", () => {
    const m = modelOf({ dev: dockerEnv() }, "dev", app).model;
    for (const s of m.services) expect(s.env.TZ).toBe("UTC");
  });

  it("lets a service's own value win", () => {
    const m = modelOf({ dev: dockerEnv() }, "dev", withOwn).model;
    expect(m.services.find((s) => s.name === "api")!.env.LOG_LEVEL).toBe("debug");
    expect(m.services.find((s) => s.name === "web")!.env.LOG_LEVEL).toBe("info");
  });

  it("lets an environment's env: override the app's for every service", () => {
    const m = modelOf({ dev: dockerEnv({ env: { LOG_LEVEL: "trace" } }) }, "dev", withOwn).model;
    expect(m.services.find((s) => s.name === "web")!.env.LOG_LEVEL).toBe("trace");
    expect(m.services.find((s) => s.name === "api")!.env.LOG_LEVEL).toBe("debug");
  });

  it("refuses a secret-looking shared variable once, at its own path (ENVK-SEC-001)", () => {
    const msg = errorsOf({ dev: dockerEnv() }, { ...app, env: { SESSION_SECRET: "abc" } });
    expect(msg).toMatch(/env\.SESSION_SECRET: \[ENVK-SEC-001\]/);
    expect(msg).not.toMatch(/services\.\w+\.env\.SESSION_SECRET/);
  });

  it("explain shows where a shared value came from, and the shared value a service's own replaced", () => {
    const dir = copyReferenceApp();
    const appFile = path.join(dir, "app.yaml");
    fs.writeFileSync(appFile, fs.readFileSync(appFile, "utf8").replace("name: shop\n", "name: shop\nenv:\n  TZ: UTC\n  LOG_LEVEL: warn\n"));
    const r = cli("explain", "--config", dir, "--env", "dev", "services.web.env.TZ");
    expect(r.out).toMatch(/services\.web\.env\.TZ = "UTC" {4}# .*app\.yaml:5/);
    const own = cli("explain", "--config", dir, "--env", "dev", "services.api.env.LOG_LEVEL");
    expect(own.out).toMatch(/= "debug" {4}# .*environments\/dev\.yaml:\d+ \(over env\.LOG_LEVEL = "warn" from .*app\.yaml:6\)/);
  });
});

describe("budget", () => {
  const prod = k8sEnv({ quota: { cpu: "10", memory: "20Gi", cpuLimit: "20", memoryLimit: "40Gi", pods: 50 } });

  it("derives the quota from the reference's × ratio on Kubernetes", () => {
    const m = modelOf({ prod, staging: k8sEnv({ budget: { of: "prod" } }) }, "staging").model;
    expect(m.budget).toEqual({ of: "prod", ratio: 0.4 });
    expect(m.quota).toMatchObject({ cpuMillis: 4000, memoryBytes: 8 * 1024 ** 3, cpuLimitMillis: 8000, memoryLimitBytes: 16 * 1024 ** 3, pods: 20 });
  });

  it("keeps a quota value set explicitly", () => {
    const m = modelOf({ prod, staging: k8sEnv({ budget: { of: "prod" }, quota: { cpu: "3" } }) }, "staging").model;
    expect(m.quota?.cpuMillis).toBe(3000);
    expect(m.quota?.memoryBytes).toBe(8 * 1024 ** 3);
  });

  it("uses the seeds' share per well-known name, and asks other names for one", () => {
    expect(modelOf({ prod, test: k8sEnv({ budget: { of: "prod" } }) }, "test").model.budget?.ratio).toBe(0.3);
    expect(errorsOf({ prod, perf: k8sEnv({ budget: { of: "prod" } }) })).toMatch(/budget\.ratio: no default share for environment "perf"/);
  });

  it("caps what a Docker environment requests at its share", () => {
    const docker = dockerEnv({ budget: { of: "prod", ratio: "1%" } });
    expect(errorsOf({ prod, dev: docker })).toMatch(/budget: the services request 300m CPU and 384Mi memory in all .* over this environment's budget of 1% of prod's totals \(100m, 204\.8Mi\)/);
    expect(errorsOf({ prod, dev: dockerEnv({ budget: { of: "prod", ratio: "20%" } }) })).toBe("");
  });

  it("refuses a budget of a missing environment, of itself, or of one with a budget", () => {
    expect(errorsOf({ prod, dev: dockerEnv({ budget: { of: "prd", ratio: "20%" } }) })).toMatch(/budget\.of: no environment "prd"/);
    expect(errorsOf({ prod: k8sEnv({ budget: { of: "prod", ratio: "20%" } }) })).toMatch(/budget\.of: "prod" is this environment itself/);
    expect(errorsOf({ prod, staging: k8sEnv({ budget: { of: "prod" } }), dev: dockerEnv({ budget: { of: "staging" } }) })).toMatch(/budget\.of: "staging" has a budget of its own/);
  });

  it("refuses a ratio that is not a percentage", () => {
    expect(errorsOf({ prod, dev: dockerEnv({ budget: { of: "prod", ratio: "0.2" } }) })).toMatch(/budget\.ratio: must be a percentage from "1%" to "100%"/);
  });

  it("resolves its reference when only the one environment is asked for", () => {
    const r = resolve(miniApp(), { prod, staging: k8sEnv({ budget: { of: "prod" } }) }, "staging");
    expect(r.environments.map((e) => e.model.name)).toEqual(["staging"]);
    expect(r.environments[0].model.quota?.cpuMillis).toBe(4000);
  });
});

describe("budget provenance", () => {
  it("explain names the budget's line and the reference's total as the origin of a derived quota", () => {
    const dir = copyReferenceApp();
    const staging = path.join(dir, "environments", "staging.yaml");
    const text = fs.readFileSync(staging, "utf8");
    fs.writeFileSync(staging, text.replace(/quota:\n(  .*\n)+/, "budget: { of: prod }\n"));
    const r = cli("explain", "--config", dir, "--env", "staging", "quota.cpu");
    expect(r.err).toBe("");
    expect(r.out).toMatch(/quota\.cpu = "7200m" {4}# default \(.*environments\/staging\.yaml:\d+: quota\.cpu — 40% of prod's CPU requests \(18\) \(budget\)\)/);
  });
});

describe("budget and the limit range", () => {
  it("derives limit range values left at their defaults from the reference's × ratio, and keeps one set explicitly", () => {
    const prod = k8sEnv({ quota: { cpu: "10", memory: "20Gi" }, limitRange: { cpu: "500m", memory: "1Gi", cpuLimit: "1", memoryLimit: "2Gi" } });
    const m = modelOf({ prod, staging: k8sEnv({ budget: { of: "prod" }, limitRange: { cpu: "300m" } }) }, "staging").model;
    expect(m.limitRange).toEqual({ cpuMillis: 300, memoryBytes: 409 * 1024 ** 2, cpuLimitMillis: 400, memoryLimitBytes: 819 * 1024 ** 2 });
  });
});
