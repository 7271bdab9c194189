import { parseArgs } from "node:util";
import { fsIssue, isFsError } from "../config/fs-issue";
import { EnvkitError, formatIssue, visibleText } from "../errors";
import { CliIO, EXIT, UsageError } from "./io";
import { VERSION } from "./version";

export const MAIN_HELP = `envkit ${VERSION}: describe a containerised application once, run it in every environment.

Usage: envkit <verb> [options]     (envkit <verb> --help for details)

Verbs:
  validate  check the configuration (schema, layering, targets, guardrails)
  synth     write one Terraform stack per environment (atomically)
  explain   show an effective value and the file:line or default that set it
  policy    run the guardrails; text, JSON or SARIF
  diff      per-environment change summary between two synthesized outputs or git refs
  compare   what differs between environments' effective configuration (two, or a matrix of N)
  graph     services and allowed connections (mermaid or dot)
  releases  record what an environment runs after a deploy (promotion order); list the record
  promote   copy releases (tag@digest) from one environment file to the next, keeping the file's layout
  rollout   advance a canary one weight step, or switch a blue-green service's live slot (one edit)

Exit codes: 0 success, 1 invalid input / failed check, 2 usage error, 3 internal error.`;

type Values = Record<string, string | boolean | undefined>;

/** A verb's code: its help text and how it runs. */
interface VerbCode {
  readonly help: string;
  run(values: Values, positionals: string[], io: CliIO): number;
}

interface Verb {
  readonly options: Record<string, { type: "string" | "boolean"; multiple?: boolean }>;
  readonly positionals: number;
  /**
   * The verb's module, required when the verb is used: `envkit diff` never evaluates the
   * configuration schemas and targets that validate and synth need (~60 ms of module setup).
   */
  readonly load: () => VerbCode;
}


const S = { type: "string" as const };
const need = (v: Record<string, unknown>, name: string): string => {
  if (typeof v[name] !== "string" || v[name] === "") throw new UsageError(`missing --${name}`);
  return v[name] as string;
};

/* eslint-disable @typescript-eslint/no-require-imports -- each verb's module loads when it runs */
const VERBS: Record<string, Verb> = {
  validate: {
    options: { config: S, env: S, base: S },
    positionals: 0,
    load: () => {
      const m = require("./commands/validate") as typeof import("./commands/validate");
      return { help: m.VALIDATE_HELP, run: (v, _p, io) => m.validateCommand({ config: need(v, "config"), env: v.env as string | undefined, base: v.base as string | undefined }, io) };
    },
  },
  synth: {
    options: { config: S, out: S },
    positionals: 0,
    load: () => {
      const m = require("./commands/synth") as typeof import("./commands/synth");
      return { help: m.SYNTH_HELP, run: (v, _p, io) => m.synthCommand({ config: need(v, "config"), out: need(v, "out") }, io) };
    },
  },
  explain: {
    options: { config: S, env: S },
    positionals: 1,
    load: () => {
      const m = require("./commands/explain") as typeof import("./commands/explain");
      return { help: m.EXPLAIN_HELP, run: (v, p, io) => m.explainCommand({ config: need(v, "config"), env: need(v, "env"), path: p[0] }, io) };
    },
  },
  policy: {
    options: { config: S, env: S, base: S, format: S },
    positionals: 0,
    load: () => {
      const m = require("./commands/policy") as typeof import("./commands/policy");
      return { help: m.POLICY_HELP, run: (v, _p, io) => m.policyCommand({ config: need(v, "config"), env: v.env as string | undefined, base: v.base as string | undefined, format: v.format as string | undefined }, io) };
    },
  },
  diff: {
    options: { base: S, head: S, plan: S, format: S, "max-chars": S, "max-bytes": S, "json-out": S, commit: S, "run-url": S, config: S, env: S },
    positionals: 0,
    load: () => {
      const m = require("./commands/diff") as typeof import("./commands/diff");
      return {
        help: m.DIFF_HELP,
        run: (v, _p, io) => m.diffCommand({ base: v.base as string | undefined, head: v.head as string | undefined, plan: v.plan as string | undefined, format: v.format as string | undefined, maxChars: v["max-chars"] as string | undefined, maxBytes: v["max-bytes"] as string | undefined, jsonOut: v["json-out"] as string | undefined, commit: v.commit as string | undefined, runUrl: v["run-url"] as string | undefined, config: v.config as string | undefined, env: v.env as string | undefined }, io),
      };
    },
  },
  compare: {
    options: { config: S, format: S, "max-bytes": S },
    positionals: Infinity,
    load: () => {
      const m = require("./commands/compare") as typeof import("./commands/compare");
      return { help: m.COMPARE_HELP, run: (v, p, io) => m.compareCommand({ config: need(v, "config"), envs: p, format: v.format as string | undefined, maxBytes: v["max-bytes"] as string | undefined }, io) };
    },
  },
  releases: {
    options: { config: S, env: S, commit: S, format: S },
    positionals: 1,
    load: () => {
      const m = require("./commands/releases") as typeof import("./commands/releases");
      return { help: m.RELEASES_HELP, run: (v, p, io) => m.releasesCommand({ action: p[0], config: need(v, "config"), env: v.env as string | undefined, commit: v.commit as string | undefined, format: v.format as string | undefined }, io) };
    },
  },
  promote: {
    options: { config: S, from: S, to: S, format: S, "dry-run": { type: "boolean" }, "force-unrecorded": { type: "boolean" } },
    positionals: Infinity,
    load: () => {
      const m = require("./commands/promote") as typeof import("./commands/promote");
      return { help: m.PROMOTE_HELP, run: (v, p, io) => m.promoteCommand({ config: need(v, "config"), from: need(v, "from"), to: need(v, "to"), services: p, format: v.format as string | undefined, dryRun: v["dry-run"] === true, forceUnrecorded: v["force-unrecorded"] === true }, io) };
    },
  },
  rollout: {
    options: { config: S, env: S, service: S, step: { type: "boolean" }, switch: { type: "boolean" }, steps: S, "dry-run": { type: "boolean" } },
    positionals: 0,
    load: () => {
      const m = require("./commands/rollout") as typeof import("./commands/rollout");
      return { help: m.ROLLOUT_HELP, run: (v, _p, io) => m.rolloutCommand({ config: need(v, "config"), env: need(v, "env"), service: need(v, "service"), step: v.step === true, switch: v.switch === true, steps: v.steps as string | undefined, dryRun: v["dry-run"] === true }, io) };
    },
  },
  graph: {
    options: { config: S, env: S, format: S },
    positionals: 0,
    load: () => {
      const m = require("./commands/graph") as typeof import("./commands/graph");
      return { help: m.GRAPH_HELP, run: (v, _p, io) => m.graphCommand({ config: need(v, "config"), env: need(v, "env"), format: v.format as string | undefined }, io) };
    },
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Syscalls that only read; `open` may do either; any other failure is reported as "cannot be written". */
const READ_SYSCALLS = new Set(["read", "scandir", "stat", "lstat", "fstat", "readlink", "realpath", "access", "opendir"]);

/**
 * The one line printed for a bug (exit 3): the error's type and first message line, without the
 * stack trace (it shows internals and can run to pages) unless ENVKIT_DEBUG=1.
 */
export function internalError(verbName: string, e: unknown): string {
  if (process.env.ENVKIT_DEBUG === "1") return visibleText(`envkit ${verbName}: internal error (a bug in envkit, please report it): ${(e as Error)?.stack ?? String(e)}`);
  const first = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split("\n")[0];
  const line = first.length > 200 ? `${first.slice(0, 197)}...` : first;
  return visibleText(`envkit ${verbName}: internal error (a bug in envkit, please report it): ${line}; set ENVKIT_DEBUG=1 for the stack trace`);
}

/**
 * Runs the CLI in-process and returns the exit code (tests call this directly). Everything a verb
 * prints passes {@link visibleText}: a control or bidirectional character from a config file, a
 * stack or a git ref reaches the terminal, a CI log or a review comment as its `\uXXXX` escape.
 */
export function runCli(argv: readonly string[], cliIO: CliIO): number {
  const io: CliIO = { out: (t) => cliIO.out(visibleText(t)), err: (t) => cliIO.err(visibleText(t)) };
  const [verbName, ...rest] = argv;
  if (!verbName || verbName === "--help" || verbName === "-h" || verbName === "help") {
    io.out(MAIN_HELP);
    return verbName ? EXIT.ok : EXIT.usage;
  }
  if (verbName === "--version") {
    io.out(VERSION);
    return EXIT.ok;
  }
  // Own keys only: `envkit constructor` or `envkit __proto__` is an unknown verb, not Object's.
  const verb = Object.hasOwn(VERBS, verbName) ? VERBS[verbName] : undefined;
  if (!verb) {
    io.err(`envkit: unknown verb "${verbName}"; verbs: ${Object.keys(VERBS).join(", ")} (envkit --help)`);
    return EXIT.usage;
  }
  let code: VerbCode | undefined;
  try {
    code = verb.load();
    const { values, positionals } = parseArgs({ args: [...rest], options: { ...verb.options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    if (values.help) {
      io.out(code.help);
      return EXIT.ok;
    }
    if (positionals.length > verb.positionals && !(verb.positionals === 1 && positionals.length === 1)) {
      throw new UsageError(`unexpected argument(s): ${positionals.slice(verb.positionals).join(" ")}`);
    }
    return code.run(values as Values, positionals, io);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`envkit ${verbName}: ${(e as Error).message}${code ? `\n\n${code.help}` : ""}`);
      return EXIT.usage;
    }
    if (e instanceof EnvkitError) {
      for (const i of e.issues) io.err(formatIssue(i));
      return EXIT.invalid;
    }
    if (isFsError(e)) {
      // A file-system failure outside the config reader (the synth output folder, mostly) is the
      // user's environment, not a bug: name the path and the fix, never the file's content.
      const fix = verbName === "synth" ? "choose an --out folder you can write to (or fix its permissions)" : "check the path and its permissions";
      io.err(formatIssue(fsIssue(e.path, e, READ_SYSCALLS.has(e.syscall ?? "") ? "read" : e.syscall === "open" ? "opened" : "written", fix)));
      return EXIT.invalid;
    }
    io.err(internalError(verbName, e));
    return EXIT.internal;
  }
}
