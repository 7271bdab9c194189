import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { fsIssue } from "../config/load";
import { ConfigIssue, EnvkitError } from "../errors";
import { StackModel } from "./stack-diff";

/** The sidecar envkit writes next to each stack: the service graph reviewers see. */
export const MODEL_FILE = "envkit-model.json";

type Json = Record<string, unknown>;

/** Deepest JSON nesting accepted from an output folder (cdktf stacks nest ~15 levels). */
const MAX_JSON_DEPTH = 200;

const SidecarSchema = z.object({
  target: z.string().optional(),
  services: z.array(z.object({ name: z.string(), public: z.boolean(), kind: z.string(), ports: z.array(z.number()) })),
  connections: z.array(z.object({ from: z.string(), to: z.string(), port: z.number(), protocol: z.string() })),
});

/**
 * Reads every `stacks/<env>/cdk.tf.json` (and its sidecar) of a synthesized output folder. Files
 * that cannot be read, are not JSON, or do not have a stack's shape are issues naming the file
 * (and line), never their content: a stack may hold sensitive values.
 */
export function readOutputDir(dir: string): Map<string, { json: Json; model?: StackModel }> {
  const stacksDir = path.join(dir, "stacks");
  if (!fs.existsSync(stacksDir)) throw new EnvkitError([{ file: dir, path: "", message: "holds no stacks/ folder; pass a synthesized output folder (cdktf.out layout) or a git ref" }]);
  const out = new Map<string, { json: Json; model?: StackModel }>();
  const issues: ConfigIssue[] = [];
  let envs: string[];
  try {
    envs = fs.readdirSync(stacksDir).sort();
  } catch (e) {
    throw new EnvkitError([fsIssue(stacksDir, e, "read", "pass a synthesized output folder (cdktf.out layout) or a git ref")]);
  }
  for (const env of envs) {
    const file = path.join(stacksDir, env, "cdk.tf.json");
    if (!fs.existsSync(file)) continue;
    const json = readJsonFile(file, issues);
    if (json === undefined) continue;
    const shape = stackShapeProblem(json);
    if (shape) {
      issues.push({ file, path: shape.path, message: `is not a synthesized stack: ${shape.message}; synthesize it again with envkit synth` });
      continue;
    }
    const sidecar = path.join(stacksDir, env, MODEL_FILE);
    let model: StackModel | undefined;
    if (fs.existsSync(sidecar)) {
      const raw = readJsonFile(sidecar, issues);
      if (raw === undefined) continue;
      const parsed = SidecarSchema.safeParse(raw);
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        issues.push({ file: sidecar, path: first.path.join("."), message: `is not an envkit model sidecar (${first.message}); synthesize it again with envkit synth` });
        continue;
      }
      model = raw as StackModel; // validated; kept whole (app, env) for the JSON report
    }
    out.set(env, { json: json as Json, model });
  }
  if (issues.length > 0) throw new EnvkitError(issues);
  return out;
}

/** Parses a JSON file; on failure records an issue with the line, never the content. */
export function readJsonFile(file: string, issues: ConfigIssue[]): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    issues.push(fsIssue(file, e, "read", "check the file and its permissions"));
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    // V8's message may quote the text around the error: only its position (when given) is kept.
    const pos = /at position (\d+)/.exec((e as Error).message);
    const line = pos ? text.slice(0, Number(pos[1])).split("\n").length : undefined;
    issues.push({ file, line, path: "", message: "is not valid JSON; it is not a synthesized output (synthesize it again with envkit synth)" });
    return undefined;
  }
}

/** Why parsed JSON is not a cdktf stack the review tools can read, or undefined. */
function stackShapeProblem(json: unknown): { path: string; message: string } | undefined {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(json)) return { path: "", message: "expected a JSON object" };
  if (json.resource !== undefined) {
    if (!isObject(json.resource)) return { path: "resource", message: "expected an object" };
    for (const [type, byId] of Object.entries(json.resource)) {
      if (!isObject(byId)) return { path: `resource.${type}`, message: "expected an object" };
      for (const [id, body] of Object.entries(byId)) if (!isObject(body)) return { path: `resource.${type}.${id}`, message: "expected an object" };
    }
  }
  // Review code walks values recursively: bound the nesting without recursing here.
  const stack: { v: unknown; depth: number }[] = [{ v: json, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > MAX_JSON_DEPTH) return { path: "", message: `nests deeper than ${MAX_JSON_DEPTH} levels` };
    for (const child of Object.values(v)) stack.push({ v: child, depth: depth + 1 });
  }
  return undefined;
}

function git(cwd: string, args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * Synthesizes a git ref in a temporary worktree with that ref's own envkit code and config, and
 * returns the output folder. The worktree borrows this checkout's node_modules.
 */
export function synthesizeRef(ref: string, configDir: string, log: (s: string) => void): { dir: string; cleanup: () => void } {
  let top: string;
  let sha: string;
  try {
    top = git(process.cwd(), ["rev-parse", "--show-toplevel"]).trim();
    sha = git(top, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).trim();
  } catch {
    throw new EnvkitError([{ path: "", message: `could not synthesize git ref "${ref}": it is neither a folder nor a commit of the git repository in ${process.cwd()}` }]);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-ref-"));
  const tree = path.join(work, "tree");
  const out = path.join(work, "out");
  const cleanup = (): void => {
    try {
      git(top, ["worktree", "remove", "--force", tree]);
    } catch {
      // The worktree may not exist if checkout failed; the folder is removed below either way.
    }
    fs.rmSync(work, { recursive: true, force: true });
  };
  try {
    git(top, ["worktree", "add", "--detach", tree, sha]);
    fs.symlinkSync(path.join(top, "node_modules"), path.join(tree, "node_modules"), "dir");
    log(`synthesizing ${ref} (${sha.slice(0, 12)})…`);
    const tsc = path.join(top, "node_modules", "typescript", "bin", "tsc");
    execFileSync(process.execPath, [tsc, "-p", path.join(tree, "tsconfig.build.json")], { cwd: tree, stdio: ["ignore", "pipe", "pipe"] });
    const rel = path.relative(top, path.resolve(configDir));
    execFileSync(process.execPath, [path.join(tree, "dist", "lib", "cli", "bin.js"), "synth", "--config", path.join(tree, rel), "--out", out], { cwd: tree, stdio: ["ignore", "pipe", "pipe"] });
    return { dir: out, cleanup };
  } catch (e) {
    cleanup();
    // The ref's own envkit wrote these lines (already located messages); a flood is cut.
    const lines = ((e as { stderr?: Buffer }).stderr?.toString().trim() ?? "").split("\n");
    const stderr = lines.length > 20 ? [...lines.slice(0, 20), `... (${lines.length - 20} more lines)`].join("\n") : lines.join("\n");
    throw new EnvkitError([{ path: "", message: `could not synthesize git ref "${ref}": ${stderr || (e as Error).message}` }]);
  }
}
