import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AppConfig, EnvironmentConfig, ServiceConfig } from "../lib/config/schema";
import { ResolvedEnvironment } from "../lib/config/resolve";
import { sourceFromObjects } from "../lib/config/load";
import { EnvironmentModel } from "../lib/model/environment";
import { validateDir, validateSource, newApp, addEnvironmentStacks } from "../lib/pipeline";
import { runCli } from "../lib/cli/main";
import { formatIssue } from "../lib/errors";

export const REFERENCE_APP = path.join(__dirname, "..", "examples", "reference-app");

/** Freezes a value and everything reachable from it (plain data: the resolved environments). */
function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
  if (typeof value !== "object" || value === null || seen.has(value)) return value;
  seen.add(value);
  for (const v of Object.values(value)) deepFreeze(v, seen);
  return Object.freeze(value);
}

let reference: readonly ResolvedEnvironment[] | undefined;

/**
 * The reference application, resolved (throws on any error so tests fail loudly). Resolved once
 * per test file (a validation, which also runs git for the release history, took ~160 ms a call
 * under jest: 2.2 s of one file's 14 tests) and deeply frozen, so a test that changed it would
 * throw instead of leaking the change into the next.
 */
export function referenceEnvironments(): readonly ResolvedEnvironment[] {
  if (reference) return reference;
  const p = validateDir(REFERENCE_APP);
  const errors = p.issues.filter((i) => i.severity !== "warning");
  if (errors.length) throw new Error(errors.map(formatIssue).join("\n"));
  return (reference = deepFreeze(p.environments));
}

export function referenceEnv(name: string): ResolvedEnvironment {
  const e = referenceEnvironments().find((x) => x.model.name === name);
  if (!e) throw new Error(`no reference environment ${name}`);
  return e;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Synthesizes resolved environments in memory; returns env name → parsed cdk.tf.json. */
export function synthJson(envs: readonly ResolvedEnvironment[]): Map<string, Json> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-test-"));
  try {
    const app = newApp(dir, { skipValidation: true });
    addEnvironmentStacks(app, envs);
    app.synth();
    return new Map(envs.map((e) => [e.model.name, JSON.parse(fs.readFileSync(path.join(dir, "stacks", e.model.name, "cdk.tf.json"), "utf8")) as Json]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** All resources of one type in a stack, as an array of bodies. */
export function resourcesOf(json: Json, type: string): Json[] {
  return Object.values((json.resource?.[type] ?? {}) as Record<string, Json>);
}

/** A minimal valid application, for focused tests. */
export function miniApp(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    name: "demo",
    services: {
      web: { image: "ghcr.io/acme/web", public: true, ports: [{ name: "http", port: 8080 }], health: { http: { path: "/healthz", port: "http" } }, connections: [{ to: "api", port: "http" }] },
      api: { image: "ghcr.io/acme/api", ports: [{ name: "http", port: 3000 }], health: { http: { path: "/health", port: "http" } }, secrets: ["api_token"], connections: [{ to: "db", port: "pg" }] },
      db: { image: "docker.io/library/postgres", kind: "stateful", ports: [{ name: "pg", port: 5432 }], health: { command: ["pg_isready"] }, volumes: [{ name: "data", path: "/var/lib/postgresql/data" }], security: { user: "70:70" } },
    },
    ...overrides,
  };
}

const RELEASES = { web: "1.0.0", api: "1.0.0", db: "16.4" };
export const DIGEST = `sha256:${"a".repeat(64)}`;

export function dockerEnv(over: Partial<EnvironmentConfig> = {}): EnvironmentConfig {
  return { target: "docker", release: RELEASES, network: { subnet: "10.210.0.0/16" }, policy: { enforcement: "advisory" }, ...over };
}

/** Every named service at release 1.0.0, pinned by digest. */
export const pinnedRelease = (names: string[]): Record<string, string> => Object.fromEntries(names.map((n) => [n, `1.0.0@${DIGEST}`]));

/** miniApp (web → api → db; web public) plus extra services, or changes to its own. */
export function appWith(extra: Record<string, Partial<ServiceConfig>> = {}): AppConfig {
  const base = miniApp();
  const services: Record<string, ServiceConfig> = { ...base.services };
  for (const [name, s] of Object.entries(extra)) services[name] = { ...(services[name] ?? { image: "ghcr.io/acme/tools" }), ...s } as ServiceConfig;
  return { ...base, services };
}

/** A Docker environment releasing every service of `a` pinned. */
export const dockerFor = (a: AppConfig, over: Partial<EnvironmentConfig> = {}): EnvironmentConfig => dockerEnv({ release: pinnedRelease(Object.keys(a.services)), ...over });

/** A Swarm environment releasing every service of `a` pinned. */
export const swarmFor = (a: AppConfig, over: Partial<EnvironmentConfig> = {}): EnvironmentConfig => ({ target: "swarm", release: pinnedRelease(Object.keys(a.services)), network: { subnet: "10.230.0.0/16" }, policy: { enforcement: "advisory" }, ...over });

export function k8sEnv(over: Partial<EnvironmentConfig> = {}): EnvironmentConfig {
  return {
    target: "kubernetes",
    release: { web: `1.0.0@${DIGEST}`, api: `1.0.0@${DIGEST}`, db: `16.4@${DIGEST}` },
    domain: "demo.example.com",
    backend: { type: "s3", bucket: "state", key: "demo.tfstate", region: "eu-west-1" },
    // Mandatory (not dev or test): the stateful db backs up, as ENVK-DAT-001 asks.
    services: { web: { replicas: 2 }, api: { replicas: 2 }, db: { backup: { method: "postgres" } } },
    ...over,
  };
}

/** Resolves TypeScript objects; returns environments and all issues (no throw). */
export function resolve(app: AppConfig, envs: Record<string, EnvironmentConfig>, only?: string) {
  return validateSource(sourceFromObjects(app, envs), only);
}

/**
 * Resolves and returns one environment, failing the test with every configuration or target error.
 * Guardrail findings are not errors here: target tests lower environments that guardrails judge.
 */
export function resolveOne(app: AppConfig, name: string, env: EnvironmentConfig): ResolvedEnvironment {
  const r = resolve(app, { [name]: env });
  const errors = r.issues.filter((i) => i.severity !== "warning" && !r.policy.issues.includes(i));
  if (errors.length || !r.environments[0]) throw new Error(errors.map(formatIssue).join("\n") || "not resolved");
  return r.environments[0];
}

export function model(app: AppConfig, name: string, env: EnvironmentConfig): EnvironmentModel {
  return resolveOne(app, name, env).model;
}

/** Runs the CLI in-process, capturing output. */
export function cli(...argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** A writable copy of the reference app in a temp folder (for broken-copy tests). */
export function copyReferenceApp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-app-"));
  fs.cpSync(REFERENCE_APP, dir, { recursive: true });
  return dir;
}

/** Edits a file of a copied app by text replacement, failing when the text is absent. */
export function edit(file: string, from: string | RegExp, to: string): void {
  const text = fs.readFileSync(file, "utf8");
  const next = text.replace(from, to);
  if (next === text) throw new Error(`edit of ${file} changed nothing (pattern ${String(from)})`);
  fs.writeFileSync(file, next);
}

/** Every file under a folder (relative path → bytes), in a stable order. */
export function filesOf(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(root, full), fs.readFileSync(full));
    }
  };
  walk(root);
  return files;
}

/** Every file under a folder with its bytes (base64), for equality checks. */
export function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries([...filesOf(dir)].map(([p, b]) => [p, b.toString("base64")]));
}

/**
 * Whether a Docker container is `name` (`<app>-<env>-<svc>-<n>`): under rolling, the default, a
 * stateless service's containers carry a hash of what replaces them (`<app>-<env>-<svc>-<hash8>-<n>`).
 */
export function isContainer(actual: unknown, name: string): boolean {
  const n = String(actual);
  return n === name || n.replace(/-[0-9a-f]{8}(-\d+)$/, "$1") === name;
}

/** git with a fixed identity and `main` as the first branch (tests never read the user's config). */
export function testGit(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main", ...args], { cwd, stdio: "pipe" }).toString();
}

/**
 * A repository at `root` as a pull request sees it: `main` holds what `writeBase` writes, the
 * checked-out branch `change` adds what `writeHead` writes on top.
 */
export function pullRequestRepo(root: string, writeBase: () => void, writeHead: () => void): void {
  testGit(root, "init", "-q");
  writeBase();
  testGit(root, "add", "-A");
  testGit(root, "commit", "-qm", "base");
  testGit(root, "checkout", "-qb", "change");
  writeHead();
  testGit(root, "add", "-A");
  testGit(root, "commit", "-q", "--allow-empty", "-m", "the pull request");
}
