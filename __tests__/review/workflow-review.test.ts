import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

/*
 * The pull-request review workflows, read as data: the properties that keep them fork-safe and
 * honest. Each check is a function returning the problems it finds, run on the real files (no
 * problem) and on a broken copy (the problem found), so no check passes vacuously. The scripts of
 * the compose and gate steps are run for real on prepared artifacts.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DIR = path.join(__dirname, "..", "..", ".github", "workflows");
const load = (f: string): Json => parse(fs.readFileSync(path.join(DIR, f), "utf8")) as Json;
const REVIEW = "envkit-review.yml";
const COMMENT = "envkit-review-comment.yml";
const clone = (j: Json): Json => JSON.parse(JSON.stringify(j)) as Json;
const steps = (wf: Json): Json[] => Object.values(wf.jobs as Record<string, Json>).flatMap((j) => (j.steps ?? []) as Json[]);
const WRITE = (p: unknown): boolean => p === "write-all" || (typeof p === "object" && p !== null && Object.values(p).includes("write"));

/** The unprivileged half must hold no write permission anywhere (it runs the pull request's code). */
function writePermissions(wf: Json): string[] {
  const out: string[] = [];
  if (wf.permissions === undefined) out.push("top-level permissions missing (the default token may be writable)");
  if (WRITE(wf.permissions)) out.push("top-level permissions grant write");
  for (const [name, job] of Object.entries(wf.jobs as Record<string, Json>)) {
    if (job.permissions === undefined) out.push(`job ${name}: permissions missing`);
    if (WRITE(job.permissions)) out.push(`job ${name}: permissions grant write`);
  }
  if (JSON.stringify(wf.on ?? {}).includes("pull_request_target")) out.push("pull_request_target runs with a write token");
  return out;
}

/** The privileged half must not check out or run anything. */
function runsUntrustedCode(wf: Json): string[] {
  const out: string[] = [];
  for (const s of steps(wf)) {
    if (typeof s.uses === "string" && s.uses.startsWith("actions/checkout")) out.push(`step "${s.name ?? s.uses}" checks out code`);
    if (s.run !== undefined) out.push(`step "${s.name ?? "run"}" runs a shell command`);
    if (typeof s.uses === "string" && s.uses.startsWith("actions/setup-node")) out.push("sets up node to run code");
  }
  return out;
}

/** A concurrency group per pull request that cancels the older run. */
function concurrencyProblems(wf: Json, key: RegExp): string[] {
  const out: string[] = [];
  for (const [name, job] of Object.entries(wf.jobs as Record<string, Json>)) {
    const c = job.concurrency ?? wf.concurrency;
    if (!c) out.push(`job ${name}: no concurrency group`);
    else if (!key.test(String(c.group))) out.push(`job ${name}: concurrency group ${c.group} is not per pull request`);
    else if (c["cancel-in-progress"] !== true) out.push(`job ${name}: an older run is not cancelled`);
  }
  return out;
}

/** Values an attacker controls must not be spliced into a shell script (script injection). */
function injectedExpressions(wf: Json): string[] {
  return steps(wf)
    .filter((s) => typeof s.run === "string" && /\$\{\{\s*(inputs\.|github\.event\.|github\.head_ref|github\.base_ref)/.test(s.run))
    .map((s) => `step "${s.name}" splices an expression into its script`);
}

/** The gate's failure must be overridable only by the two labels. */
function gateProblems(wf: Json): string[] {
  const out: string[] = [];
  const env = JSON.stringify(Object.values(wf.jobs as Record<string, Json>).map((j) => j.env));
  for (const label of ["envkit/accept-data-loss", "envkit/accept-findings"]) if (!env.includes(`'${label}'`)) out.push(`label ${label} is not read`);
  const gate = steps(wf).find((s) => /gate/i.test(String(s.name)));
  if (!gate) out.push("no gate step");
  else if (gate.if !== undefined || gate["continue-on-error"]) out.push("the gate step can be skipped or ignored");
  const upload = steps(wf).find((s) => String(s.uses).startsWith("actions/upload-artifact"));
  if (!upload) out.push("no artifact upload");
  else if (!/always\(\)/.test(String(upload.if))) out.push("the artifact is not uploaded when a step fails (no comment would follow)");
  if (upload && gate && steps(wf).indexOf(upload) > steps(wf).indexOf(gate)) out.push("the artifact is uploaded after the gate");
  return out;
}

/** The sticky comment is ours only if a bot wrote it with the marker. */
function stickyProblems(wf: Json): string[] {
  const script = String(steps(wf).find((s) => String(s.uses).startsWith("actions/github-script"))?.with?.script ?? "");
  const out: string[] = [];
  if (!/c\.user\.type === "Bot"/.test(script)) out.push("the comment's author type is not checked");
  if (!/c\.user\.login === "github-actions\[bot\]"/.test(script)) out.push("the comment's author login is not checked");
  if (!/startsWith\(MARKER\)/.test(script)) out.push("the marker is not checked");
  if (!/pr\.head\.sha !== run\.head_sha/.test(script)) out.push("the artifact's pull request number is trusted without checking its head commit");
  if (/\.slice\(0, *\d+\)/.test(script)) out.push("the body is cut by characters (it can break a code fence)");
  if (!/envkit\/data-loss/.test(script)) out.push("no envkit/data-loss label");
  return out;
}

describe("the unprivileged review workflow (pull_request, runs the pull request's code)", () => {
  const wf = load(REVIEW);
  const caller = load("plan-review.yml");

  it("holds no write permission, in the reusable workflow or its caller", () => {
    expect(writePermissions(wf)).toEqual([]);
    expect(writePermissions(caller)).toEqual([]);
  });

  it("is found out when a job asks for write permission", () => {
    const bad = clone(wf);
    bad.jobs.review.permissions = { contents: "read", "pull-requests": "write" };
    expect(writePermissions(bad)).toEqual(["job review: permissions grant write"]);
    const target = clone(caller);
    target.on = { pull_request_target: {} };
    expect(writePermissions(target)).toContain("pull_request_target runs with a write token");
  });

  it("has one concurrency group per pull request that cancels the older run", () => {
    expect(concurrencyProblems(wf, /pull_request\.number/)).toEqual([]);
    const bad = clone(wf);
    bad.jobs.review.concurrency["cancel-in-progress"] = false;
    expect(concurrencyProblems(bad, /pull_request\.number/)).toEqual(["job review: an older run is not cancelled"]);
  });

  it("fails the check on data loss or a mandatory finding unless labelled, after uploading the artifact", () => {
    expect(gateProblems(wf)).toEqual([]);
    const bad = clone(wf);
    const gate = bad.jobs.review.steps.find((s: Json) => /gate/i.test(s.name));
    gate["continue-on-error"] = true;
    delete bad.jobs.review.env.ACCEPT_FINDINGS;
    expect(gateProblems(bad)).toEqual(["label envkit/accept-findings is not read", "the gate step can be skipped or ignored"]);
  });

  it("re-runs when a label changes (the labels decide the check)", () => {
    expect(caller.on.pull_request.types).toEqual(expect.arrayContaining(["opened", "synchronize", "reopened", "labeled", "unlabeled"]));
  });

  it("never splices inputs or event values into a shell script", () => {
    expect(injectedExpressions(wf)).toEqual([]);
    const bad = clone(wf);
    bad.jobs.review.steps[2].run = 'echo "${{ inputs.config }}"';
    expect(injectedExpressions(bad)).toHaveLength(1);
  });

  it("checks out without persisting the token, and is reusable with config and envkit-version inputs", () => {
    const checkout = steps(wf).find((s) => String(s.uses).startsWith("actions/checkout"))!;
    expect(checkout.with["persist-credentials"]).toBe(false);
    expect(wf.on.workflow_call.inputs.config.required).toBe(true);
    expect(Object.keys(wf.on.workflow_call.inputs)).toEqual(expect.arrayContaining(["config", "envkit-version", "environments"]));
    expect(caller.jobs.review.uses).toBe(`./.github/workflows/${REVIEW}`);
  });
});

describe("the privileged comment workflow (workflow_run, holds the write token)", () => {
  const wf = load(COMMENT);
  const caller = load("plan-review-comment.yml");

  it("is started by the review workflow's completion, by name", () => {
    expect(caller.on.workflow_run.workflows).toEqual([load("plan-review.yml").name]);
    expect(caller.on.workflow_run.types).toEqual(["completed"]);
    expect(caller.jobs.comment.uses).toBe(`./.github/workflows/${COMMENT}`);
  });

  it("never checks out or runs code (the artifact is data)", () => {
    expect(runsUntrustedCode(wf)).toEqual([]);
    expect(runsUntrustedCode(caller)).toEqual([]);
    const bad = clone(wf);
    bad.jobs.comment.steps.unshift({ uses: "actions/checkout@v4", with: { ref: "${{ github.event.workflow_run.head_sha }}" } }, { name: "build", run: "npm ci && npm test" });
    expect(runsUntrustedCode(bad)).toEqual(['step "actions/checkout@v4" checks out code', 'step "build" runs a shell command']);
  });

  it("asks for exactly the permissions it uses, per job, and none at the top", () => {
    expect(wf.permissions).toEqual({});
    expect(caller.permissions).toEqual({});
    const want = { actions: "read", "pull-requests": "write", issues: "write", "security-events": "write" };
    expect(wf.jobs.comment.permissions).toEqual(want);
    expect(caller.jobs.comment.permissions).toEqual(want);
  });

  it("downloads the artifact of the run that finished, and skips cancelled runs", () => {
    const dl = steps(wf).find((s) => String(s.uses).startsWith("actions/download-artifact"))!;
    expect(dl.with["run-id"]).toBe("${{ github.event.workflow_run.id }}");
    expect(wf.jobs.comment.if).toContain("github.event.workflow_run.conclusion != 'cancelled'");
    expect(wf.jobs.comment.if).toContain("github.event.workflow_run.event == 'pull_request'");
  });

  it("updates only its own sticky comment (marker and bot author), for the reviewed head only", () => {
    expect(stickyProblems(wf)).toEqual([]);
    const bad = clone(wf);
    const s = bad.jobs.comment.steps.find((x: Json) => String(x.uses).startsWith("actions/github-script"));
    s.with.script = String(s.with.script).replace('c.user.type === "Bot" && ', "").replace("pr.head.sha !== run.head_sha", "false");
    expect(stickyProblems(bad)).toEqual(["the comment's author type is not checked", "the artifact's pull request number is trusted without checking its head commit"]);
  });

  it("uploads the SARIF with codeql-action's upload-sarif, to the pull request's head", () => {
    const up = steps(wf).find((s) => String(s.uses).startsWith("github/codeql-action/upload-sarif"))!;
    expect(up).toBeDefined();
    expect(up.with.sha).toBe("${{ github.event.workflow_run.head_sha }}");
    expect(up.with.ref).toBe("refs/pull/${{ steps.comment.outputs.number }}/head");
  });

  it("has a concurrency group per pull request branch that cancels the older run", () => {
    expect(concurrencyProblems(wf, /workflow_run\.head_branch/)).toEqual([]);
  });
});

/** The body of a `node - <<'SCRIPT'` heredoc in a step's run script. */
function heredoc(wf: Json, stepName: RegExp): string {
  const run = String(steps(wf).find((s) => stepName.test(String(s.name)))!.run);
  const m = /node - <<'SCRIPT'\n([\s\S]*?)\nSCRIPT/.exec(run);
  if (!m) throw new Error(`no node heredoc in ${String(stepName)}`);
  return m[1];
}

describe("the review workflow's compose and gate scripts, run on prepared artifacts", () => {
  const wf = load(REVIEW);
  const compose = heredoc(wf, /compose/i);
  const gate = heredoc(wf, /gate/i);

  function runIn(files: Record<string, string>, env: Record<string, string> = {}): { dir: string; gate: number; body: string; pr: Json } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-wf-"));
    fs.mkdirSync(path.join(dir, "envkit-review"));
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, "envkit-review", f), text);
    const base = { PATH: process.env.PATH ?? "", PR_NUMBER: "7", HEAD_SHA: "a".repeat(40), RUN_URL: "https://example.invalid/run/1", ...env };
    const c = spawnSync(process.execPath, ["-"], { cwd: dir, input: compose, env: base, encoding: "utf8" });
    if (c.status !== 0) throw new Error(c.stderr);
    const g = spawnSync(process.execPath, ["-"], { cwd: dir, input: gate, env: base, encoding: "utf8" });
    return { dir, gate: g.status ?? -1, body: fs.readFileSync(path.join(dir, "envkit-review", "body.md"), "utf8"), pr: JSON.parse(fs.readFileSync(path.join(dir, "envkit-review", "pr.json"), "utf8")) as Json };
  }

  const lossy = JSON.stringify({ environments: [{ env: "prod", changes: [{ dataLoss: true }] }] });
  const clean = JSON.stringify({ environments: [{ env: "prod", changes: [{ dataLoss: false }] }] });
  const ok = { "diff.md": "## envkit plan review\n\nx\n", "diff.exit": "0", "policy.txt": "no findings\n", "policy.exit": "0", "compare.md": "## dev → prod\n" };

  it("fails the check on data loss without the label", () => {
    const r = runIn({ ...ok, "review.json": lossy });
    expect(r.pr.dataLoss).toBe(true);
    expect(r.gate).toBe(1);
  });

  it("passes on data loss with envkit/accept-data-loss", () => {
    expect(runIn({ ...ok, "review.json": lossy }, { ACCEPT_DATA_LOSS: "true" }).gate).toBe(0);
  });

  it("fails on a mandatory finding unless envkit/accept-findings (the data-loss label does not cover it)", () => {
    const files = { ...ok, "review.json": clean, "policy.exit": "1" };
    expect(runIn(files, { ACCEPT_DATA_LOSS: "true" }).gate).toBe(1);
    expect(runIn(files, { ACCEPT_FINDINGS: "true" }).gate).toBe(0);
  });

  it("fails when the diff could not be computed, and says so in the comment", () => {
    const r = runIn({ ...ok, "diff.exit": "1", "diff.err": 'git ref "origin/main" is not in this clone' }, { ACCEPT_DATA_LOSS: "true", ACCEPT_FINDINGS: "true" });
    expect(r.gate).toBe(1);
    expect(r.body).toContain("The plan diff could not be computed");
    expect(r.body).toContain('git ref "origin/main" is not in this clone');
  });

  it("reads hasDataLoss from the report's summary when it has one", () => {
    expect(runIn({ ...ok, "review.json": JSON.stringify({ summary: { hasDataLoss: true }, environments: [] }) }).pr.dataLoss).toBe(true);
  });

  it("fences guardrail text that holds backticks with a longer fence (it cannot close the block)", () => {
    const r = runIn({ ...ok, "review.json": clean, "policy.txt": "finding: use ``` here\n" });
    expect(r.body).toContain("````text\nfinding: use ``` here");
    expect(r.body.match(/^````$/m)).not.toBeNull();
  });
});
