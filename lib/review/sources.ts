import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EnvkitError } from "../errors";
import { StackModel } from "./stack-diff";

/** The sidecar envkit writes next to each stack: the service graph reviewers see. */
export const MODEL_FILE = "envkit-model.json";

type Json = Record<string, unknown>;

/** Reads every `stacks/<env>/cdk.tf.json` (and its sidecar) of a synthesized output folder. */
export function readOutputDir(dir: string): Map<string, { json: Json; model?: StackModel }> {
  const stacksDir = path.join(dir, "stacks");
  if (!fs.existsSync(stacksDir)) throw new EnvkitError([{ file: dir, path: "", message: "holds no stacks/ folder; pass a synthesized output folder (cdktf.out layout) or a git ref" }]);
  const out = new Map<string, { json: Json; model?: StackModel }>();
  for (const env of fs.readdirSync(stacksDir).sort()) {
    const file = path.join(stacksDir, env, "cdk.tf.json");
    if (!fs.existsSync(file)) continue;
    const sidecar = path.join(stacksDir, env, MODEL_FILE);
    out.set(env, { json: JSON.parse(fs.readFileSync(file, "utf8")) as Json, model: fs.existsSync(sidecar) ? (JSON.parse(fs.readFileSync(sidecar, "utf8")) as StackModel) : undefined });
  }
  return out;
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
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new EnvkitError([{ path: "", message: `could not synthesize git ref "${ref}": ${stderr || (e as Error).message}` }]);
  }
}
