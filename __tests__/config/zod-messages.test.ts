import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { fromZod } from "../../lib/config/zod-issues";
import { formatIssue } from "../../lib/errors";
import { cli, copyReferenceApp, dockerEnv, edit, k8sEnv, miniApp, resolve } from "../helpers";

/*
 * zod's own texts ("Too small: expected number to be >=0", "Invalid input") name neither the
 * range nor the fix. Every range, whole-number and NaN/Infinity failure reads like the rest of
 * envkit: the value, the allowed range, what to write instead.
 */

type Envs = Record<string, EnvironmentConfig>;
const errorText = (app: AppConfig, envs: Envs): string =>
  resolve(app, envs)
    .issues.filter((i) => i.severity !== "warning")
    .map(formatIssue)
    .join("\n");
const svc = (name: string, patch: Record<string, unknown>): AppConfig => {
  const app = miniApp();
  return { ...app, services: { ...app.services, [name]: { ...app.services[name], ...patch } as AppConfig["services"][string] } };
};
const apiOverlay = (patch: Record<string, unknown>): Envs => ({ dev: dockerEnv({ services: { api: patch as never } }) });
const health = (patch: Record<string, unknown>): AppConfig => svc("api", { health: { http: { path: "/health", port: "http" }, ...patch } });
const ZOD_TEXT = /Too small|Too big|Invalid input|expected number to be|expected int/;

describe("numbers outside their range name the range and the fix", () => {
  it("negative replicas: names the minimum and the whole-number range", () => {
    const text = errorText(miniApp(), apiOverlay({ replicas: -1 }));
    expect(text).toMatch(/<environment dev>: services\.api\.replicas: -1 is below the minimum 0; use a whole number from 0 to 1000/);
    expect(text).not.toMatch(ZOD_TEXT);
  });

  it("health retries of 99999999999: names the maximum 100 and the range 1 to 100", () => {
    const text = errorText(health({ retries: 99999999999 }), { dev: dockerEnv() });
    expect(text).toMatch(/services\.api\.health\.retries: 99999999999 is above the maximum 100; use a whole number from 1 to 100/);
    expect(text).not.toMatch(ZOD_TEXT);
  });

  it("health retries of 0: names the minimum 1", () => {
    expect(errorText(health({ retries: 0 }), { dev: dockerEnv() })).toMatch(/health\.retries: 0 is below the minimum 1; use a whole number from 1 to 100/);
  });

  it("a number beyond the safe-integer range with a declared minimum is one message, not two", () => {
    const lines = errorText(svc("api", { restart: { maxRetries: -(2 ** 60) } }), { dev: dockerEnv() }).split("\n").filter((l) => /maxRetries/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/restart\.maxRetries: -1152921504606847000 is below the minimum 0; use a whole number of at least 0/);
  });

  it("a negative rollout count (a number-or-percentage union) names the number's minimum", () => {
    const text = errorText(miniApp(), { staging: k8sEnv({ rollout: { maxUnavailable: -1 } } as never) });
    expect(text).toMatch(/rollout\.maxUnavailable: -1 is below the minimum 0; use a whole number of at least 0/);
  });
});

describe("a fraction where a whole number is wanted", () => {
  it("health retries of 2.5", () => {
    expect(errorText(health({ retries: 2.5 }), { dev: dockerEnv() })).toMatch(/health\.retries: 2\.5 is not a whole number; use a whole number from 1 to 100/);
  });

  it("a fractional rollout count inside the number-or-percentage union", () => {
    const text = errorText(miniApp(), { staging: k8sEnv({ rollout: { maxSurge: 1.5 } } as never) });
    expect(text).toMatch(/rollout\.maxSurge: 1\.5 is not a whole number; use a whole number of at least 0/);
    expect(text).not.toMatch(ZOD_TEXT);
  });

  it("a fractional replica count", () => {
    expect(errorText(miniApp(), apiOverlay({ replicas: 0.5 }))).toMatch(/services\.api\.replicas: 0\.5 is not a whole number; use a whole number from 0 to 1000/);
  });
});

describe("NaN and Infinity where a number is wanted", () => {
  it("cpu: .nan in YAML names the quantity forms, at the line", () => {
    const dir = copyReferenceApp();
    try {
      const file = path.join(dir, "environments", "staging.yaml");
      edit(file, "resources: { cpu: 250m, memory: 256Mi }", "resources: { cpu: .nan, memory: 256Mi }");
      // The edited line, wherever the file has it (other settings above may move it).
      const line = fs.readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes("cpu: .nan")) + 1;
      const r = cli("validate", "--config", dir);
      expect(r.code).not.toBe(0);
      expect(r.err + r.out).toContain(`staging.yaml:${line}: services.worker.resources.cpu: NaN is not a number`);
      expect(r.err + r.out).toMatch(/staging\.yaml:\d+: services\.worker\.resources\.cpu: NaN is not a number \(\.nan in YAML\); write cores \("0\.5", "2"\) or millicores \("500m"\)/);
      expect(r.err + r.out).not.toMatch(ZOD_TEXT);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("memory: Infinity names the memory forms", () => {
    const text = errorText(miniApp(), apiOverlay({ resources: { memory: Infinity } }));
    expect(text).toMatch(/services\.api\.resources\.memory: Infinity is not a finite number \(\.inf in YAML\); write e\.g\. "512Mi" or "2Gi"/);
  });

  it("health retries of NaN names the whole-number range", () => {
    expect(errorText(health({ retries: NaN }), { dev: dockerEnv() })).toMatch(/health\.retries: NaN is not a number \(\.nan in YAML\); use a whole number from 1 to 100/);
  });

  it("replicas of -Infinity names the whole-number range", () => {
    expect(errorText(miniApp(), apiOverlay({ replicas: -Infinity }))).toMatch(/services\.api\.replicas: -Infinity is not a finite number \(-\.inf in YAML\); use a whole number from 0 to 1000/);
  });
});

describe("lists and strings outside their size", () => {
  it("an empty health command names the minimum item count, without echoing the list", () => {
    const text = errorText(svc("db", { health: { command: [] } }), { dev: dockerEnv() });
    expect(text).toMatch(/services\.db\.health\.command: a list of 0 items is shorter than the minimum of 1 item; list at least 1 item/);
    expect(text).not.toMatch(ZOD_TEXT);
  });

  it("a string outside its length range names the length and the range (schema without its own message)", () => {
    const schema = z.strictObject({ label: z.string().min(3).max(5) });
    const data = { label: "abcdefgh" };
    const [issue] = fromZod(schema.safeParse(data).error!, schema, data, () => ({}));
    expect(issue.message).toBe('"abcdefgh" (8 characters) is longer than the maximum of 5 characters; use 3 to 5 characters');
  });
});

describe("the never-echo rule holds for range messages", () => {
  it("a negative revision under secretRevisions is described, not shown", () => {
    const text = errorText(miniApp(), { dev: dockerEnv({ secretRevisions: { api_token: -987654 } }) });
    expect(text).toMatch(/secretRevisions\.api_token: a number \(not shown: this path may hold a secret\) is below the minimum 1; use a whole number of at least 1/);
    expect(text).not.toContain("987654");
  });

  it("a too-short string under a secret-like key shows neither the string nor its length", () => {
    const schema = z.strictObject({ apiToken: z.string().min(40) });
    const data = { apiToken: "hunter2" };
    const [issue] = fromZod(schema.safeParse(data).error!, schema, data, () => ({}));
    expect(issue.message).toBe("a string (not shown: this path may hold a secret) is shorter than the minimum of 40 characters; use at least 40 characters");
    expect(issue.message).not.toMatch(/hunter2|7 characters/);
  });

  it("a schema's own range message is kept (ports are 1-65535)", () => {
    expect(errorText(svc("web", { ports: [{ name: "http", port: 0 }] }), { dev: dockerEnv() })).toMatch(/ports\.http\.port: ports are 1-65535 \(got 0\)/);
  });
});
