import { formatIssue } from "../../lib/errors";
import { EnvironmentConfig } from "../../lib/config/schema";
import { layer } from "../../lib/config/merge";
import fc from "fast-check";
import { ROLLOUT_FIELDS, ServiceModel } from "../../lib/model/environment";
import { canarySplit, peakReplicas } from "../../lib/targets/shared/capacity";
import { REFERENCE_APP, cli, k8sEnv, miniApp, model, resolve } from "../helpers";

/*
 * The rollout strategies' configuration contract: what resolves into ServiceModel.rollout, and
 * the message of every refusal.
 */

const D = (c: string) => `sha256:${c.repeat(64)}`;
const V14 = `1.4.0@${D("1")}`;
const V15 = `1.5.0@${D("2")}`;

/** The configuration errors of one Kubernetes environment, formatted. */
function errorsOf(env: EnvironmentConfig, app = miniApp()): string[] {
  return resolve(app, { prod: env })
    .issues.filter((i) => i.severity !== "warning")
    .map(formatIssue);
}

function svc(env: EnvironmentConfig, name: string): ServiceModel {
  return model(miniApp(), "prod", env).services.find((s) => s.name === name)!;
}

const releasesWithout = (svc: string): Record<string, string> => Object.fromEntries(Object.entries(k8sEnv().release!).filter(([k]) => k !== svc));
const releasesWithoutApi = releasesWithout("api");

/** api as blue-green: the slots pin its releases, so release.api is gone. */
function blueGreen(rollout: Record<string, unknown> = {}): EnvironmentConfig {
  return k8sEnv({ release: releasesWithoutApi, services: { web: { replicas: 2 }, api: { replicas: 2, rollout: { strategy: "blue-green", live: "blue", slots: { blue: V14, green: V15 }, ...rollout } } } });
}

describe("rollout strategy resolution", () => {
  it("defaults every service to the environment's rolling update with its surge", () => {
    expect(svc(k8sEnv(), "web").rollout).toEqual({ strategy: "rolling", maxSurge: "25%", maxUnavailable: 0, timeoutSeconds: 600 });
  });

  it("lets a service override the environment's strategy and surge", () => {
    const env = k8sEnv({ rollout: { strategy: "recreate" }, services: { web: { replicas: 2, rollout: { strategy: "rolling", maxSurge: 1, timeout: "2m" } }, api: { replicas: 2 } } });
    expect(svc(env, "web").rollout).toEqual({ strategy: "rolling", maxSurge: 1, maxUnavailable: 0, timeoutSeconds: 120 });
    expect(svc(env, "api").rollout).toEqual({ strategy: "recreate", timeoutSeconds: 600 });
  });

  it.each([
    [{ maxSurge: 0 }, "maxSurge 0 with maxUnavailable 0"],
    [{ maxSurge: "0%", maxUnavailable: "0%" }, "maxSurge 0% with maxUnavailable 0%"],
  ])("refuses %j (with the default maxUnavailable 0): no update could start or stop a copy, and Kubernetes refuses the Deployment", (rollout, values) => {
    const env = k8sEnv({ services: { web: { replicas: 2, rollout: { strategy: "rolling", ...rollout } }, api: { replicas: 2 } } });
    expect(errorsOf(env)).toEqual([expect.stringContaining(`services.web.rollout.maxSurge: ${values} lets an update neither start a new copy of "web" nor stop an old one, and Kubernetes refuses the Deployment at apply; set maxSurge: 1 (or maxUnavailable: 1)`)]);
    const ok = k8sEnv({ services: { web: { replicas: 2, rollout: { strategy: "rolling", maxSurge: 0, maxUnavailable: 1 } }, api: { replicas: 2 } } });
    expect(errorsOf(ok).join("\n")).not.toMatch(/maxSurge|maxUnavailable/);
  });

  it("resolves blue-green with the live slot's release as the service's image", () => {
    const api = svc(blueGreen(), "api");
    expect(api.rollout).toMatchObject({ strategy: "blue-green", live: "blue", idleReplicas: 2, slots: { blue: { version: V14 }, green: { version: V15 } } });
    expect(api.version).toBe(V14);
    expect(api.image.digest).toBe(D("1"));
    expect(svc(blueGreen({ live: "green", idleReplicas: 0 }), "api")).toMatchObject({ version: V15, rollout: { idleReplicas: 0 } });
  });

  it("resolves canary with release.<svc> as the stable release", () => {
    const web = svc(k8sEnv({ services: { web: { replicas: 2, rollout: { strategy: "canary", canary: { release: V15, weight: 10 } } } } }), "web");
    expect(web.version).toBe(k8sEnv().release!.web);
    expect(web.rollout).toMatchObject({ strategy: "canary", weight: 10, canary: { version: V15, image: { digest: D("2") } } });
  });

  it("keeps a stateful service rolling when the environment says blue-green", () => {
    const errors = errorsOf(k8sEnv({ rollout: { strategy: "blue-green" } }));
    expect(errors.some((e) => e.includes("services.db"))).toBe(false);
  });
});

describe("rollout strategy refusals", () => {
  it("refuses blue-green on a stateful service, saying why", () => {
    const errors = errorsOf(k8sEnv({ services: { db: { rollout: { strategy: "blue-green", live: "blue", slots: { blue: V14, green: V15 } } } } }));
    expect(errors).toContainEqual(expect.stringMatching(/services\.db\.rollout\.strategy: "db" is stateful, and blue-green runs two copies of it side by side: two copies of one database's data/));
  });

  it("refuses canary on a stateful service", () => {
    const errors = errorsOf(k8sEnv({ services: { db: { rollout: { strategy: "canary", canary: { release: V15, weight: 10 } } } } }));
    expect(errors).toContainEqual(expect.stringMatching(/services\.db\.rollout\.strategy: "db" is stateful, and canary runs two copies/));
  });

  it("refuses blue-green without live and slots, showing what to write", () => {
    const errors = errorsOf(k8sEnv({ services: { api: { rollout: { strategy: "blue-green" } } } }));
    expect(errors).toContainEqual(expect.stringMatching(/services\.api\.rollout\.strategy: blue-green needs live \(the slot that takes traffic\) and slots \(the release of each slot\); write services\.api\.rollout: \{ strategy: blue-green, live: blue, slots: \{ blue: "1\.0\.0@sha256:a+", green: "<the next release>" \} \}/));
  });

  it("refuses a blue-green slot without a release", () => {
    const errors = errorsOf(blueGreen({ slots: { blue: V14 } }));
    expect(errors).toContainEqual(expect.stringMatching(/services\.api\.rollout\.slots: slot green has no release; blue-green runs both slots, so pin both/));
  });

  it("refuses release.<svc> next to blue-green slots (one place pins the release)", () => {
    const env = blueGreen();
    const errors = errorsOf({ ...env, release: { ...env.release, api: V14 } });
    expect(errors).toContainEqual(expect.stringMatching(/release\.api: "api" uses blue-green, where services\.api\.rollout\.slots pin the releases; remove release\.api/));
  });

  it("refuses a mutable slot release", () => {
    const errors = errorsOf(blueGreen({ slots: { blue: V14, green: "latest" } }));
    expect(errors).toContainEqual(expect.stringMatching(/services\.api\.rollout\.slots\.green: \[ENVK-IMG-001\] release "latest" of "api" is mutable/));
  });

  it("refuses a malformed canary release", () => {
    const errors = errorsOf(k8sEnv({ services: { web: { rollout: { strategy: "canary", canary: { release: "1.5.0@sha256:123", weight: 10 } } } } }));
    expect(errors).toContainEqual(expect.stringMatching(/services\.web\.rollout\.canary\.release: .*malformed digest/));
  });

  it("refuses a canary weight above 100", () => {
    const errors = errorsOf(k8sEnv({ services: { web: { rollout: { strategy: "canary", canary: { release: V15, weight: 150 } } } } }));
    expect(errors).toContainEqual(expect.stringMatching(/services\.web\.rollout\.canary\.weight: the canary weight is a percentage of traffic: a whole number from 0 to 100/));
  });

  it("refuses a fractional canary weight", () => {
    const errors = errorsOf(k8sEnv({ services: { web: { rollout: { strategy: "canary", canary: { release: V15, weight: 12.5 } } } } }));
    expect(errors).toContainEqual(expect.stringMatching(/services\.web\.rollout\.canary\.weight: 12\.5 is not a whole number; use a whole number from 0 to 100/));
  });

  it("names a blue-green field given under canary as such", () => {
    const errors = errorsOf(k8sEnv({ services: { web: { rollout: { strategy: "canary", live: "blue", canary: { release: V15, weight: 10 } } } } }));
    expect(errors).toContainEqual(expect.stringMatching(/services\.web\.rollout\.live: live is a setting of blue-green, and "web" uses strategy canary; remove live/));
  });

  it("names a canary field given under rolling as such", () => {
    const errors = errorsOf(k8sEnv({ services: { web: { rollout: { strategy: "rolling", canary: { release: V15, weight: 10 } } } } }));
    expect(errors).toContainEqual(expect.stringMatching(/services\.web\.rollout\.canary: canary is a setting of canary, and "web" uses strategy rolling/));
  });

  it("names a surge given under recreate as such", () => {
    const errors = errorsOf(k8sEnv({ services: { web: { rollout: { strategy: "recreate", maxSurge: 1 } } } }));
    expect(errors).toContainEqual(expect.stringMatching(/services\.web\.rollout\.maxSurge: maxSurge is a setting of rolling, blue-green and canary, and "web" uses strategy recreate/));
  });

  it("explains an environment-wide blue-green that services do not complete", () => {
    const errors = errorsOf(k8sEnv({ rollout: { strategy: "blue-green" } }));
    expect(errors).toContainEqual(expect.stringMatching(/services\.web\.rollout\.strategy: blue-green needs live .* and slots .* \(the environment's rollout\.strategy is blue-green, so every stateless service needs its own\); write services\.web\.rollout:/));
  });

  it("accepts an environment-wide canary: a service without a canary block runs its stable release only", () => {
    const web = svc(k8sEnv({ rollout: { strategy: "canary" } }), "web");
    expect(web.rollout).toEqual({ strategy: "canary", weight: 0, maxSurge: "25%", maxUnavailable: 0, timeoutSeconds: 600 });
    expect(peakReplicas(web)).toEqual({ steady: 2, extra: 1, why: "canary (none in flight): 2 stable + 0 canary + 1 surge of the workload being rolled (maxSurge 25%)" });
  });

  it("refuses an unknown strategy with the list", () => {
    const errors = errorsOf(k8sEnv({ rollout: { strategy: "bluegreen" as never } }));
    expect(errors).toContainEqual(expect.stringMatching(/rollout\.strategy: .*blue-green/));
  });
});

describe("rollout layering", () => {
  it("drops the application's blue-green fields when an environment switches the service to rolling", () => {
    const app = { services: { api: { rollout: { strategy: "blue-green", live: "blue", idleReplicas: 0, timeout: "5m" } } } };
    const env = { services: { api: { rollout: { strategy: "rolling", maxSurge: 1 } } } };
    expect(layer(app, env)).toEqual({ services: { api: { rollout: { strategy: "rolling", maxSurge: 1, timeout: "5m" } } } });
  });

  it("keeps the application's strategy fields when the environment only adds to them", () => {
    const app = { services: { api: { rollout: { strategy: "blue-green", idleReplicas: 0 } } } };
    const env = { services: { api: { rollout: { live: "green" } } } };
    expect(layer(app, env)).toEqual({ services: { api: { rollout: { strategy: "blue-green", idleReplicas: 0, live: "green" } } } });
  });
});

describe("capacity per strategy", () => {
  it("splits canary replicas by weight, at least one pod each while both run", () => {
    expect(canarySplit(10, 10)).toEqual({ stable: 9, canary: 1, effectiveWeight: 10 });
    expect(canarySplit(3, 10)).toEqual({ stable: 2, canary: 1, effectiveWeight: 33 });
    expect(canarySplit(1, 50)).toEqual({ stable: 1, canary: 1, effectiveWeight: 50 });
    expect(canarySplit(4, 100)).toEqual({ stable: 0, canary: 4, effectiveWeight: 100 });
    expect(canarySplit(4, 0)).toEqual({ stable: 4, canary: 0, effectiveWeight: 0 });
  });

  it("counts both blue-green slots and the surge of the slot being rolled", () => {
    const p = peakReplicas(svc(blueGreen(), "api"));
    expect(p).toEqual({ steady: 4, extra: 1, why: "blue-green: 2 live (blue) + 2 idle (green) + 1 surge of the slot being rolled (maxSurge 25%)" });
  });

  it("counts a scaled-down idle slot as nothing", () => {
    expect(peakReplicas(svc(blueGreen({ idleReplicas: 0 }), "api"))).toMatchObject({ steady: 2, extra: 1 });
  });

  it("counts recreate as the replicas alone", () => {
    expect(peakReplicas(svc(k8sEnv({ rollout: { strategy: "recreate" } }), "web"))).toEqual({ steady: 2, extra: 0, why: "recreate: 2 replicas, the old ones stop first" });
  });

  it("counts canary as stable + canary + surge, the stable at its autoscaler maximum", () => {
    const env = k8sEnv({ services: { web: { replicas: 4, autoscaling: { minReplicas: 4, maxReplicas: 8 }, rollout: { strategy: "canary", canary: { release: V15, weight: 25 } } } } });
    expect(peakReplicas(svc(env, "web"))).toEqual({ steady: 9, extra: 2, why: "canary 25%: 8 stable (autoscaler maximum) + 1 canary + 2 surge of the workload being rolled (maxSurge 25%)" });
  });
});

describe("rollout defaults are explained", () => {
  it("envkit explain names the defaults table for a service's inherited strategy", () => {
    const r = cli("explain", "--config", REFERENCE_APP, "--env", "prod", "services.api.rollout.strategy");
    expect(r.code).toBe(0);
    expect(r.out).toContain("rolling");
    expect(r.out).toContain("lib/config/defaults.ts");
    expect(r.out).toContain("the environment's rollout.strategy");
  });
});

describe("properties", () => {
  it("a canary split keeps both workloads running while 0 < weight < 100, never loses a replica, and reports its real share", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 100 }), (replicas, weight) => {
        const s = canarySplit(replicas, weight);
        if (replicas === 0) return s.stable === 0 && s.canary === 0;
        const both = weight > 0 && weight < 100;
        // One replica cannot be split: a pod each then.
        const total = both && replicas === 1 ? 2 : replicas;
        return s.stable + s.canary === total && (weight === 0 ? s.canary === 0 : s.canary >= 1) && (weight === 100 ? s.stable === 0 : s.stable >= 1) && s.effectiveWeight === Math.round((100 * s.canary) / total);
      }),
    );
  });

  it("changing a service's strategy in an overlay leaves no field of another strategy", () => {
    const strategies = ["recreate", "rolling", "blue-green", "canary"] as const;
    const fields = { live: "blue", slots: { blue: "1" }, idleReplicas: 0, canary: { release: "1", weight: 1 }, maxSurge: 1, maxUnavailable: 0, timeout: "1m" };
    fc.assert(
      fc.property(fc.constantFrom(...strategies), fc.constantFrom(...strategies), fc.subarray(Object.keys(fields)), (from, to, present) => {
        const base = { services: { api: { rollout: { strategy: from, ...Object.fromEntries(present.map((k) => [k, fields[k as keyof typeof fields]])) } } } };
        const out = layer(base, { services: { api: { rollout: { strategy: to } } } }) as { services: { api: { rollout: Record<string, unknown> } } };
        const allowed = new Set(["strategy", "timeout", ...ROLLOUT_FIELDS[to]]);
        return from === to || Object.keys(out.services.api.rollout).every((k) => allowed.has(k));
      }),
    );
  });
});
