/*
 * The cdktf app of this repository: `npx cdktf synth | diff <env> | deploy <env>`.
 * It synthesizes the application folder named by ENVKIT_CONFIG (default: the reference app), one
 * stack per environment file, so every cdktf command addresses exactly one environment.
 */
import * as path from "node:path";
import { formatIssue, sortIssues } from "./lib/errors";
import { addEnvironmentStacks, newApp, preloadSynthesis, validateDir, writeModelSidecars } from "./lib/pipeline";

const configDir = process.env.ENVKIT_CONFIG ?? path.join(__dirname, "..", "examples", "reference-app");
preloadSynthesis();
const project = validateDir(path.relative(process.cwd(), configDir) || ".");
for (const w of project.issues.filter((i) => i.severity === "warning")) console.error(formatIssue(w));
const errors = project.issues.filter((i) => i.severity !== "warning");
if (errors.length > 0) {
  console.error(sortIssues(errors).map(formatIssue).join("\n"));
  process.exit(1);
}
const app = newApp();
addEnvironmentStacks(app, project.environments);
app.synth();
writeModelSidecars(app.outdir, project.environments);
