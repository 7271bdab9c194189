import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigIssue, EnvkitError } from "../errors";
import { checkRelativeSource } from "../model/names";
import { ConfigSource, ResolveResult, ResolvedEnvironment, resolveAll } from "./resolve";
import { AppConfig, EnvironmentConfig } from "./schema";
import { fsIssue } from "./fs-issue";
import { MAX_CONFIG_BYTES, SourceDocument, checkDocument, formatBytes, parseYaml } from "./yaml-source";

// In their own module so that the CLI and the review can name file-system errors without loading
// the configuration machinery (schemas, targets).
export { fsIssue, isFsError } from "./fs-issue";

/**
 * Reads an application folder: `app.yaml` and `environments/<env>.yaml` (the file name is the
 * environment's name). File paths in messages are shown as `dir/...` exactly as the user gave `dir`.
 *
 * Every file problem is an issue, never an exception: missing files, folders where files belong
 * (and the reverse), unreadable files, named pipes and devices, symbolic links leading outside the
 * application folder (refused, so that no foreign file is read or quoted), files over
 * {@link MAX_CONFIG_BYTES}, bytes that are not UTF-8 (a BOM is fine), and files in environments/
 * that look like YAML but are not named exactly `<name>.yaml` or `<name>.yml`.
 */
export function readConfigDir(dir: string): { source?: ConfigSource; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  let root: string;
  try {
    root = fs.realpathSync(dir);
    if (!fs.statSync(root).isDirectory()) throw new Error("not a folder");
  } catch {
    return { issues: [{ file: dir, path: "", message: "is not a folder; --config must name an application folder holding app.yaml and environments/<env>.yaml" }] };
  }
  const appFile = path.join(dir, "app.yaml");
  const app = readYamlFile(appFile, root, dir, () => {
    const near = safeReaddir(root).find((f) => f !== "app.yaml" && /^app\.ya?ml$/i.test(f));
    return `is missing${near ? ` (found ${near}: rename it to app.yaml)` : ""}; an application folder holds app.yaml and environments/<env>.yaml`;
  });
  issues.push(...app.issues);
  const envDir = path.join(dir, "environments");
  const listing = listEnvironmentFiles(envDir, root, dir);
  issues.push(...listing.issues);
  if (listing.files.length === 0 && listing.issues.length === 0) {
    issues.push({ file: envDir, path: "", message: "holds no environment file; add e.g. environments/dev.yaml with at least `target: docker`" });
  }
  const environments = new Map<string, SourceDocument>();
  const unreadable = new Set<string>();
  for (const f of listing.files) {
    const file = path.join(envDir, f);
    const name = f.replace(/\.ya?ml$/, "");
    if (environments.has(name)) {
      issues.push({ file, path: "", message: `environment "${name}" is defined twice (.yaml and .yml); keep one file` });
      continue;
    }
    const r = readYamlFile(file, root, dir, () => "does not exist");
    issues.push(...r.issues);
    if (r.doc) environments.set(name, r.doc);
    else unreadable.add(name);
  }
  if (!app.doc) return { issues };
  return { source: { app: app.doc, environments, ...(unreadable.size ? { unreadable } : {}), files: readSourceFiles([app.doc, ...environments.values()], root, dir) }, issues };
}

/**
 * The files named by `services.*.files[].source` in any document, read with every guard of a
 * config file (inside the folder after following links, a regular file, bounded, UTF-8). Paths
 * are relative to the application folder; a malformed one is left to the schema's message.
 */
function readSourceFiles(docs: readonly SourceDocument[], root: string, dir: string): Map<string, { text?: string; issue?: ConfigIssue }> {
  const out = new Map<string, { text?: string; issue?: ConfigIssue }>();
  for (const doc of docs) {
    const services = (doc.data as { services?: unknown } | null)?.services;
    if (!services || typeof services !== "object") continue;
    for (const svc of Object.values(services as Record<string, unknown>)) {
      const files = (svc as { files?: unknown } | null)?.files;
      if (!Array.isArray(files)) continue;
      for (const f of files) {
        const source = (f as { source?: unknown } | null)?.source;
        if (typeof source !== "string" || out.has(source) || checkRelativeSource(source)) continue;
        out.set(source, readConfigText(path.join(dir, source), root, dir, () => "does not exist in the application folder"));
      }
    }
  }
  return out;
}

/** The YAML file names in environments/, and issues for files that only look like them. */
function listEnvironmentFiles(envDir: string, root: string, dir: string): { files: string[]; issues: ConfigIssue[] } {
  let real: string;
  try {
    real = fs.realpathSync(envDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" && !isSymlink(envDir)) return { files: [], issues: [] };
    return { files: [], issues: [fsIssue(envDir, e, "read", "check the folder and its permissions")] };
  }
  if (!inside(root, real)) return { files: [], issues: [outsideIssue(envDir, dir)] };
  let names: string[];
  try {
    if (!fs.statSync(real).isDirectory()) return { files: [], issues: [{ file: envDir, path: "", message: "is a file; environments/ must be a folder holding <env>.yaml files" }] };
    names = fs.readdirSync(real).sort();
  } catch (e) {
    return { files: [], issues: [fsIssue(envDir, e, "read", "give the user running envkit read access to it")] };
  }
  const files: string[] = [];
  const issues: ConfigIssue[] = [];
  for (const f of names) {
    // `s`: a file name may hold any character but "/", a line feed too.
    if (/^.+\.(yaml|yml)$/s.test(f)) files.push(f);
    else if (/\.ya?ml/i.test(f)) {
      // test.YAML, x.yml.bak, dev.yaml~: silently ignoring them would drop an environment.
      const m = /^(.*?)\.(ya?ml)/is.exec(f)!;
      const fixed = m[1] ? `${m[1]}.${m[2].toLowerCase()}` : `<name>.${m[2].toLowerCase()}`;
      issues.push({ file: path.join(envDir, f), path: "", message: `looks like an environment file but is not named <name>.yaml or <name>.yml, so it would be ignored; rename it to ${fixed}, or move it out of environments/` });
    }
  }
  return { files, issues };
}

/** Reads, bounds, decodes and parses one config file; every failure is an issue naming `file`. */
function readYamlFile(file: string, root: string, dir: string, missing: () => string): { doc?: SourceDocument; issues: ConfigIssue[] } {
  const read = readConfigText(file, root, dir, missing);
  if (read.issue) return { issues: [read.issue] };
  return parseYaml(file, read.text!);
}

/**
 * Reads one config file of the application folder `dir` with every guard of {@link readConfigDir}
 * (inside the folder after following links, a regular file, at most {@link MAX_CONFIG_BYTES},
 * UTF-8), for other files kept there (e.g. releases.yaml). Returns the text or one issue.
 */
export function readConfigFile(file: string, dir: string): { text?: string; issue?: ConfigIssue } {
  let root: string;
  try {
    root = fs.realpathSync(dir);
  } catch (e) {
    return { issue: fsIssue(dir, e, "read", "--config must name an application folder") };
  }
  return readConfigText(file, root, dir, () => "does not exist");
}

function readConfigText(file: string, root: string, dir: string, missing: () => string): { text?: string; issue?: ConfigIssue } {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") return { issue: fsIssue(file, e, "read", "give the user running envkit read access to it") };
    return { issue: { file, path: "", message: isSymlink(file) ? "does not exist (a symbolic link to a missing file); fix or remove the link" : missing() } };
  }
  // Compare real paths: a link may point anywhere, and its target's content must never be read.
  if (!inside(root, real)) return { issue: outsideIssue(file, dir) };
  let read: { bytes?: Buffer; issue?: ConfigIssue };
  try {
    read = readBounded(file, real);
  } catch (e) {
    return { issue: fsIssue(file, e, "read", "give the user running envkit read access to it") };
  }
  if (!read.bytes) return { issue: read.issue };
  const bytes = read.bytes;
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    if (at < 0) return { issue: { file, path: "", message: "is not valid UTF-8; save the file as UTF-8" } };
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    return { issue: { file, line, path: "", message: `is not valid UTF-8 (first bad byte at line ${line}, column ${at - lineStart + 1}); save the file as UTF-8` } };
  }
}

/**
 * Reads at most {@link MAX_CONFIG_BYTES} (+1, to detect more) from a regular file. Opened without
 * blocking and checked on the open descriptor, so a named pipe swapped in cannot hang envkit.
 */
function readBounded(file: string, real: string): { bytes?: Buffer; issue?: ConfigIssue } {
  const fd = fs.openSync(real, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) return { issue: { file, path: "", message: "is a folder, not a file; a config file is a YAML file" } };
    if (!st.isFile()) return { issue: { file, path: "", message: "is not a regular file (a named pipe, socket or device); a config file is a plain YAML file" } };
    const tooBig = (size: number): { issue: ConfigIssue } => ({
      issue: { file, path: "", message: `is ${formatBytes(size)}, over the ${formatBytes(MAX_CONFIG_BYTES)} limit for a config file; split it, or check that it is the file you meant (a 1,000-service application is ~220 KiB)` },
    });
    if (st.size > MAX_CONFIG_BYTES) return tooBig(st.size);
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let n = 0;
    for (let got = 1; got > 0 && n < buf.length; n += got) got = fs.readSync(fd, buf, n, buf.length - n, null);
    // The file may have grown since fstat: what was read decides.
    if (n > MAX_CONFIG_BYTES) return tooBig(n);
    return { bytes: buf.subarray(0, n) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Offset of the first byte that does not start a valid UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (n === 0 || i + n >= b.length) return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      if ((b[i + k] & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (b[i + k] & 0x3f);
    }
    if (cp < [0, 0x80, 0x800, 0x10000][n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

function inside(root: string, real: string): boolean {
  const rel = path.relative(root, real);
  return rel !== "" && !rel.startsWith(`..${path.sep}`) && rel !== ".." && !path.isAbsolute(rel);
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function safeReaddir(p: string): string[] {
  try {
    return fs.readdirSync(p);
  } catch {
    return [];
  }
}

function outsideIssue(file: string, dir: string): ConfigIssue {
  return { file, path: "", message: `is a symbolic link leading outside the application folder ${dir}; envkit reads config files only from inside it: copy the file in instead of linking it` };
}

/**
 * The same inputs as objects, for TypeScript users: no YAML, no files.
 * @throws EnvkitError when an object holds what no configuration may: a `__proto__` key, a cdktf
 *   token (`TfToken[`), a cycle, an object that is not plain data, or nesting or size past the
 *   bounds in yaml-source.ts.
 */
export function sourceFromObjects(app: AppConfig, environments: Readonly<Record<string, EnvironmentConfig>>): ConfigSource {
  const envs = new Map<string, SourceDocument>();
  for (const name of Object.keys(environments).sort()) {
    envs.set(name, { file: `<environment ${name}>`, data: environments[name], lines: new Map() });
  }
  const appDoc: SourceDocument = { file: "<app>", data: app, lines: new Map() };
  const issues = [appDoc, ...envs.values()].flatMap(checkDocument);
  if (issues.length > 0) throw new EnvkitError(issues);
  return { app: appDoc, environments: envs };
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
