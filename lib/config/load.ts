import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigIssue, EnvkitError } from "../errors";
import { ConfigSource, ResolveResult, ResolvedEnvironment, resolveAll } from "./resolve";
import { AppConfig, EnvironmentConfig } from "./schema";
import { SourceDocument, parseYaml } from "./yaml-source";

/**
 * Reads an application folder: `app.yaml` and `environments/<env>.yaml` (the file name is the
 * environment's name). File paths in messages are shown as `dir/...` exactly as the user gave `dir`.
 */
export function readConfigDir(dir: string): { source?: ConfigSource; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const appFile = path.join(dir, "app.yaml");
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return { issues: [{ file: dir, path: "", message: "is not a folder; --config must name an application folder holding app.yaml and environments/<env>.yaml" }] };
  }
  if (!fs.existsSync(appFile)) {
    return { issues: [{ file: appFile, path: "", message: "is missing; an application folder holds app.yaml and environments/<env>.yaml" }] };
  }
  const app = parseYaml(appFile, fs.readFileSync(appFile, "utf8"));
  issues.push(...app.issues);
  const envDir = path.join(dir, "environments");
  const files = fs.existsSync(envDir) ? fs.readdirSync(envDir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
  if (files.length === 0) issues.push({ file: envDir, path: "", message: "holds no environment file; add e.g. environments/dev.yaml with at least `target: docker`" });
  const environments = new Map<string, SourceDocument>();
  for (const f of files) {
    const file = path.join(envDir, f);
    const name = f.replace(/\.ya?ml$/, "");
    if (environments.has(name)) {
      issues.push({ file, path: "", message: `environment "${name}" is defined twice (.yaml and .yml); keep one file` });
      continue;
    }
    const r = parseYaml(file, fs.readFileSync(file, "utf8"));
    issues.push(...r.issues);
    if (r.doc) environments.set(name, r.doc);
  }
  if (!app.doc) return { issues };
  return { source: { app: app.doc, environments }, issues };
}

/** The same inputs as objects, for TypeScript users: no YAML, no files. */
export function sourceFromObjects(app: AppConfig, environments: Readonly<Record<string, EnvironmentConfig>>): ConfigSource {
  const envs = new Map<string, SourceDocument>();
  for (const name of Object.keys(environments).sort()) {
    envs.set(name, { file: `<environment ${name}>`, data: environments[name], lines: new Map() });
  }
  return { app: { file: "<app>", data: app, lines: new Map() }, environments: envs };
}

/** Reads and resolves a folder; all problems (file, YAML, schema, semantic) come back together. */
export function loadConfigDir(dir: string, only?: string): ResolveResult {
  const read = readConfigDir(dir);
  if (!read.source) return { environments: [], issues: read.issues };
  const resolved = resolveAll(read.source, only);
  return { environments: resolved.environments, issues: [...read.issues, ...resolved.issues] };
}

/** Resolves or throws an {@link EnvkitError} listing every error. Warnings are returned. */
export function loadOrThrow(result: ResolveResult): { environments: readonly ResolvedEnvironment[]; warnings: ConfigIssue[] } {
  const errors = result.issues.filter((i) => i.severity !== "warning");
  if (errors.length > 0) throw new EnvkitError(errors);
  return { environments: result.environments, warnings: result.issues.filter((i) => i.severity === "warning") };
}

/** Resolves TypeScript objects into environment models, throwing on any error. */
export function resolveObjects(app: AppConfig, environments: Readonly<Record<string, EnvironmentConfig>>): readonly ResolvedEnvironment[] {
  return loadOrThrow(resolveAll(sourceFromObjects(app, environments))).environments;
}
