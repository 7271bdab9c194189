/*
 * The cdktf app of this repository: `npx cdktf synth | diff <env> | deploy <env>`.
 * It synthesizes the application folder named by ENVKIT_CONFIG (default: the reference app), one
 * stack per environment file, so every cdktf command addresses exactly one environment. It runs
 * the same checks as `envkit validate` — every guardrail included — before anything is written.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigIssue, formatIssue, sortIssues } from "./lib/errors";
import { checkEachStack, checkStacks, hasErrors, isInside, newApp, preloadSynthesis, stateIssuesAtSynth, validateDir, writeModelSidecars } from "./lib/pipeline";

/** Options of {@link main}; the defaults are what `cdktf synth` provides. */
export interface MainOptions {
  /** @default ENVKIT_CONFIG, else the reference app */
  readonly configDir?: string;
  /** @default CDKTF_OUTDIR (set by the cdktf CLI), else "cdktf.out" */
  readonly outdir?: string;
  /** Where issues are printed. @default stderr */
  readonly err?: (line: string) => void;
}

/**
 * Validates the application, judges every stack and synthesizes them; returns the exit code. On
 * any error (a mandatory guardrail finding included) it returns 1 having written nothing.
 */
export function main(opts: MainOptions = {}): number {
  // An empty variable is an unset one (never "the current folder").
  const configDir = opts.configDir ?? (process.env.ENVKIT_CONFIG || path.join(__dirname, "..", "examples", "reference-app"));
  const outdir = opts.outdir ?? (process.env.CDKTF_OUTDIR || "cdktf.out");
  const err = opts.err ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const print = (issues: readonly ConfigIssue[]): void => sortIssues(issues).forEach((i) => err(formatIssue(i)));
  // cdktf writes stacks/ and manifest.json into its output folder: never into the application.
  if (isInside(outdir, configDir)) {
    print([{ file: configDir, path: "ENVKIT_CONFIG", message: `is inside the output folder ${outdir} (CDKTF_OUTDIR), where cdktf writes stacks/ and manifest.json; keep the application folder outside it` }]);
    return 1;
  }
  const project = validateDir(path.relative(process.cwd(), configDir) || ".");
  preloadSynthesis(project);
  const state = project.environments.flatMap((e) => stateIssuesAtSynth(e, outdir, project.issues));
  if (hasErrors(project) || state.length > 0) {
    // Judge the stacks in memory too, so every problem is reported at once.
    print([...checkEachStack(project).issues, ...state]);
    return 1;
  }
  // A cdktf App creates its output folders when constructed; remove them again on failure.
  const created = [outdir, path.join(outdir, "stacks")].filter((d) => !fs.existsSync(d));
  const app = newApp(outdir);
  const checked = checkStacks(project, app);
  print(checked.issues);
  if (hasErrors(checked)) {
    // rmdir removes empty folders only: nothing anyone wrote can go with them.
    for (const dir of created.reverse()) {
      try {
        fs.rmdirSync(dir);
      } catch {
        // not empty, or already gone
      }
    }
    return 1;
  }
  app.synth();
  writeModelSidecars(app.outdir, project.environments);
  return 0;
}

if (require.main === module) process.exitCode = main();
