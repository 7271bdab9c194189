import * as fs from "node:fs";
import * as path from "node:path";
import { loadConfigDir, readConfigDir, readConfigFile } from "../../config/load";
import { didYouMean } from "../../config/suggest";
import { lineAt } from "../../config/yaml-source";
import { ServiceModel, idleSlot } from "../../model/environment";
import { monitoringSetNames } from "../../targets/registry";
import { CliIO, EXIT, UsageError } from "../io";
import { YamlEdit, editYaml, issuePrinter, unknownEnvironments, writeEnvironmentFile } from "./promote";

export const ROLLOUT_HELP = `Usage: envkit rollout --config DIR --env ENV --service SVC (--step [--steps 10,50,100] | --switch)
                      [--dry-run]

Advances one service's delivery strategy by one change to environments/ENV.yaml, editing only the
values concerned (comments, quoting and layout stay; the file is replaced atomically). Commit the
change and apply it; the revert of the commit is the rollback.

  --step    canary: moves services.SVC.rollout.canary.weight to the next of --steps (default
            10,50,100). Reaching the last step (100) promotes the canary instead: its release
            becomes release.SVC (the stable) and the canary block is removed, so the stable rolls
            to it while the canary still serves. A weight of 100 already written is refused: the
            stable has no pods then; step back to 50 and apply first.
  --switch  blue-green: flips services.SVC.rollout.live to the idle slot (the one under
            SVC-preview). Refused while the idle slot runs fewer pods than the live one
            (idleReplicas below replicas): scale it up, apply, then switch.

Options:
  --steps LIST  canary weights in percent, increasing, ending at 100 (e.g. 10,30,60,100)
  --dry-run     print the change, write nothing

Exit codes: 0 changed (or printed with --dry-run), 1 refused or invalid config, 2 usage.`;

/** Default canary weights: 10% → 50% → promoted. */
export const DEFAULT_STEPS: readonly number[] = [10, 50, 100];

/** Parses `--steps`: whole percentages, strictly increasing, ending at 100. */
export function parseSteps(text: string | undefined): number[] {
  if (text === undefined) return [...DEFAULT_STEPS];
  const steps = text.split(",").map((s) => s.trim());
  if (steps.some((s) => !/^\d{1,3}$/.test(s))) throw new UsageError(`--steps must be whole percentages separated by commas, e.g. 10,50,100 (got "${text}")`);
  const n = steps.map(Number);
  if (n.some((x, i) => x < 1 || x > 100 || (i > 0 && x <= n[i - 1]))) throw new UsageError(`--steps must increase from 1 to 100, e.g. 10,50,100 (got "${text}")`);
  if (n[n.length - 1] !== 100) throw new UsageError(`--steps must end at 100, the step that promotes the canary (got "${text}")`);
  return n;
}

/** What one rollout command changes, or why it refuses. */
type Plan = { edits: YamlEdit[]; summary: string } | { refuse: { path: string[]; message: string } };

function canaryStep(svc: ServiceModel, steps: readonly number[]): Plan {
  const r = svc.rollout;
  const at = ["services", svc.name, "rollout"];
  if (r.strategy !== "canary") return { refuse: { path: [...at, "strategy"], message: `"${svc.name}" uses strategy ${r.strategy}; --step advances a canary (set strategy: canary with a canary block), --switch flips blue-green` } };
  if (!r.canary) return { refuse: { path: at, message: `"${svc.name}" runs no canary; start one by adding services.${svc.name}.rollout.canary: { release: "<the new release>", weight: ${steps[0]} }` } };
  const w = r.weight;
  if (w >= 100) {
    const back = steps.length > 1 ? steps[steps.length - 2] : 50;
    return { refuse: { path: [...at, "canary", "weight"], message: `weight 100 leaves the stable of "${svc.name}" with no pods, so promoting now would start the stable's pods while the canary's go; set weight: ${back}, apply it, then run --step` } };
  }
  const next = steps.find((s) => s > w) ?? 100;
  if (next < 100) return { edits: [{ set: [...at, "canary", "weight"], value: next }], summary: `${svc.name}: canary ${r.canary.version} ${w}% → ${next}%` };
  return {
    edits: [{ set: ["release", svc.name], value: r.canary.version }, { remove: [...at, "canary"] }],
    summary: `${svc.name}: canary ${r.canary.version} promoted: release.${svc.name} ${svc.version} → ${r.canary.version}, canary block removed (the stable rolls to it)`,
  };
}

function blueGreenSwitch(svc: ServiceModel): Plan {
  const r = svc.rollout;
  const at = ["services", svc.name, "rollout"];
  if (r.strategy !== "blue-green") return { refuse: { path: [...at, "strategy"], message: `"${svc.name}" uses strategy ${r.strategy}; --switch flips a blue-green service's live slot (--step advances a canary)` } };
  const idle = idleSlot(r.live);
  if (r.idleReplicas < svc.replicas) {
    return { refuse: { path: [...at, "idleReplicas"], message: `the idle slot ${idle} runs ${r.idleReplicas} of ${svc.replicas} replicas, so the switch would send all traffic to a slot that is still starting; set idleReplicas: ${svc.replicas} (or remove it), apply, check ${svc.name}-preview, then switch` } };
  }
  return { edits: [{ set: [...at, "live"], value: idle }], summary: `${svc.name}: live ${r.live} → ${idle} (${idle} runs ${r.slots[idle].version}; ${r.live} keeps ${r.slots[r.live].version}: --switch again, or reverting this change, switches back)` };
}

/** `envkit rollout`: one canary step or one blue-green switch, written atomically. */
export function rolloutCommand(opts: { config: string; env: string; service: string; step?: boolean; switch?: boolean; steps?: string; dryRun?: boolean }, io: CliIO): number {
  if (Boolean(opts.step) === Boolean(opts.switch)) throw new UsageError("give exactly one of --step (canary) and --switch (blue-green)");
  if (opts.steps !== undefined && !opts.step) throw new UsageError("--steps goes with --step");
  const steps = parseSteps(opts.steps);
  const fail = issuePrinter(io);
  const read = readConfigDir(opts.config);
  if (!read.source) return fail(read.issues);
  const unknownEnv = unknownEnvironments(opts.config, { source: read.source, issues: read.issues }, [opts.env]);
  if (unknownEnv.length) return fail(unknownEnv);
  const loaded = loadConfigDir(opts.config, opts.env);
  const env = loaded.environments.find((e) => e.model.name === opts.env);
  const errors = loaded.issues.filter((i) => i.severity !== "warning");
  if (!env || errors.length) return fail(errors.length ? errors : [{ file: opts.config, path: "", message: `environment "${opts.env}" could not be resolved; run envkit validate` }]);
  const file = env.source.file;
  const svc = env.model.services.find((s) => s.name === opts.service);
  const monitoring = monitoringSetNames(env.model);
  const all = env.model.services.map((s) => s.name).filter((n) => !monitoring.has(n));
  if (svc && monitoring.has(svc.name)) {
    const images = ["monitoring", "images", svc.name];
    fail([{ ...env.provenance.locate(images), path: images.join("."), message: `"${svc.name}" is part of the monitoring set, which envkit rolls itself (no canary, no blue-green slots); change its image at monitoring.images.${svc.name}, and roll out only the application's services (${all.join(", ") || "none"})` }]);
    io.err(`envkit rollout: refused, ${file} was not changed`);
    return EXIT.invalid;
  }
  if (!svc) return fail([{ file: path.join(opts.config, "app.yaml"), line: lineAt(read.source.app, ["services"]), path: "services", message: `no service "${opts.service}"${didYouMean(opts.service, all)}; services: ${all.join(", ")}` }]);

  const plan = opts.step ? canaryStep(svc, steps) : blueGreenSwitch(svc);
  if ("refuse" in plan) {
    fail([{ ...env.provenance.locate(plan.refuse.path), path: plan.refuse.path.join("."), message: plan.refuse.message }]);
    io.err(`envkit rollout: refused, ${file} was not changed`);
    return EXIT.invalid;
  }
  const guarded = readConfigFile(file, opts.config);
  if (guarded.text === undefined) return fail(guarded.issue ? [guarded.issue] : []);
  // The raw text (a byte-order mark included), so every other byte is written back as it was.
  const raw = fs.readFileSync(file, "utf8");
  const next = editYaml(raw, plan.edits, file);
  io.out(plan.summary);
  if (opts.dryRun) {
    io.out(`dry run: ${file} would change; nothing written`);
    return EXIT.ok;
  }
  const problem = writeEnvironmentFile(file, next, raw, "the rollout did not advance", "envkit rollout");
  if (problem) return fail([problem]);
  io.out(`wrote ${file}; run "envkit validate --config ${opts.config} --env ${opts.env}", commit it and apply`);
  return EXIT.ok;
}
