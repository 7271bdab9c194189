import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { sourceFromObjects } from "../../lib/config/load";
import { resolveAll } from "../../lib/config/resolve";
import { DEFAULTS } from "../../lib/config/defaults";
import { EnvironmentSchema, environmentSchemaFor } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { EnvironmentModel } from "../../lib/model/environment";
import { REGISTRY, TARGETS, targetNames, targetRegistry } from "../../lib/targets/registry";
import { TargetAdapter } from "../../lib/targets/target";
import { miniApp, referenceEnvironments } from "../helpers";

/*
 * Target knowledge lives only in the targets (issue 10 item 4): shared code names no target, the
 * model carries no target-named block, and a new target is a folder plus a registry entry.
 */

const ROOT = path.join(__dirname, "..", "..");
const NAMES = targetNames(); // docker, kubernetes, swarm

/** Where a target may be named: its own folder, and the registry that lists the folders. */
function mayNameTargets(rel: string): boolean {
  return rel === "lib/targets/registry.ts" || NAMES.some((n) => rel.startsWith(`lib/targets/${n}/`));
}

/**
 * Literals elsewhere that contain a target name for another reason. Short on purpose: each entry
 * says why it is not target knowledge.
 */
const ALLOWED: readonly { file: string; literal: string; why: string }[] = [{ file: "lib/policy/rules.ts", literal: "docker.sock", why: "a host socket path, judged on every target (ENVK-SEC-009)" }];

interface Mention {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/**
 * Target names used as code in TypeScript source: string literals that are a target name or a
 * config path under one (`"docker"`, `'kubernetes.context'`), property accesses (`.docker`,
 * `?.kubernetes`) and object keys (`docker:`). Comments and prose inside longer strings are not
 * code and are skipped.
 */
export function targetMentions(file: string, source: string, names: readonly string[]): Mention[] {
  const out: Mention[] = [];
  const literal = new RegExp(`^(${names.join("|")})(\\.[A-Za-z]+)*$`);
  const code = new RegExp(`(\\?\\.|\\.)(${names.join("|")})\\b|(^|[{,\\s])(${names.join("|")})\\??\\s*:`, "g");
  let line = 1;
  let i = 0;
  let codeRun = "";
  let codeStart = 1;
  const flushCode = (): void => {
    for (const m of codeRun.matchAll(code)) out.push({ file, line: codeStart + (codeRun.slice(0, m.index).match(/\n/g)?.length ?? 0), text: m[0].trim() });
    codeRun = "";
    codeStart = line;
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      flushCode();
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && next === "*") {
      flushCode();
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? source.length : end + 2;
      line += (source.slice(i, stop).match(/\n/g) ?? []).length;
      i = stop;
      codeStart = line;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      flushCode();
      const startLine = line;
      let j = i + 1;
      let text = "";
      while (j < source.length && source[j] !== c) {
        if (source[j] === "\\") {
          text += source[j + 1];
          j += 2;
          continue;
        }
        if (source[j] === "\n") line++;
        text += source[j];
        j++;
      }
      if (literal.test(text)) out.push({ file, line: startLine, text: `${c}${text}${c}` });
      i = j + 1;
      codeStart = line;
      continue;
    }
    if (c === "\n") line++;
    codeRun += c;
    i++;
  }
  flushCode();
  return out;
}

function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourcesUnder(p));
    else if (entry.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

describe("shared code names no target", () => {
  it("the scanner finds target names used as code (so the check below can fail)", () => {
    const sample = ['const a = env.docker?.host; // docker in a comment is fine', 'if (t === "kubernetes") x = { swarm: 1 };', 'path: ["docker", "publishAddress"], msg: "runs on docker here"', "/* kubernetes */ b.kubernetes"].join("\n");
    expect(targetMentions("sample.ts", sample, NAMES).map((m) => [m.line, m.text])).toEqual([
      [1, ".docker"],
      [2, '"kubernetes"'],
      [2, "swarm:"],
      [3, '"docker"'],
      [4, ".kubernetes"],
    ]);
  });

  it("no file under lib/ outside lib/targets/<target>/ and the registry names a target as code", () => {
    const files = sourcesUnder(path.join(ROOT, "lib")).map((f) => path.relative(ROOT, f).split(path.sep).join("/"));
    expect(files.length).toBeGreaterThan(50);
    const found = files
      .filter((rel) => !mayNameTargets(rel))
      .flatMap((rel) => targetMentions(rel, fs.readFileSync(path.join(ROOT, rel), "utf8"), NAMES))
      .filter((m) => !ALLOWED.some((a) => a.file === m.file && m.text.slice(1, -1) === a.literal))
      .map((m) => `${m.file}:${m.line}: ${m.text}`);
    expect(found).toEqual([]);
  });
});

describe("the model carries no target-named block", () => {
  // A compile-time check (npx tsc): fails to type-check if EnvironmentModel grows a key named after a target.
  type TargetKeys = Extract<keyof EnvironmentModel, keyof typeof TARGETS | "swarm">;
  const noTargetKeys: [TargetKeys] extends [never] ? true : false = true;

  it("no key of a resolved environment's model is a target name; its target's settings are opaque targetOptions", () => {
    expect(noTargetKeys).toBe(true);
    for (const env of referenceEnvironments()) {
      expect(Object.keys(env.model).filter((k) => NAMES.includes(k))).toEqual([]);
      expect(env.model.targetOptions).toEqual(expect.any(Object));
    }
  });
});

describe("a new target is a folder plus a registry entry", () => {
  /** A target "nomad" as a new folder would define it: its block's schema, defaults and checks. */
  const nomadSettings = z.strictObject({ datacenter: z.string().optional(), region: z.string().optional() });
  const nomad: TargetAdapter<typeof nomadSettings> = {
    name: "nomad",
    settings: {
      schema: nomadSettings,
      defaults: [{ path: "datacenter", value: "dc1", doc: "Nomad's default datacenter" }],
      source: "lib/targets/nomad/options.ts",
      reads: ["network.subnet"],
      unreadHints: { quota: "use a Nomad namespace quota (not modelled yet)" },
    },
    checkSettings: (env) => (env.targetOptions.region ? [] : [{ path: ["nomad", "region"], message: "a Nomad environment needs a region, e.g. region: global" }]),
    validate: () => [],
    lower: () => undefined,
    providerType: "nomad",
    providerEndpoint: { keys: ["address"], noun: "cluster" },
    inspect: () => ({ workloads: [], secretLeaks: [] }),
  };
  const registry = targetRegistry([...REGISTRY.adapters.values(), nomad], REGISTRY.planned);
  const app = miniApp();
  const release = { web: "1.0.0", api: "1.0.0", db: "16.4" };
  const resolveNomad = (env: Record<string, unknown>) => resolveAll(sourceFromObjects(app, { dev: { target: "nomad", release, network: { subnet: "10.240.0.0/16" }, ...env } as never }), undefined, registry);
  const errors = (r: ReturnType<typeof resolveNomad>) => r.issues.filter((i) => i.severity !== "warning").map(formatIssue).join("\n");

  it("the built-in registry refuses the name (nothing shared knows it)", () => {
    expect(EnvironmentSchema.safeParse({ target: "nomad" }).success).toBe(false);
    expect(environmentSchemaFor(registry).safeParse({ target: "nomad", nomad: { region: "global" } }).success).toBe(true);
  });

  it("its block is validated by its own schema, with did-you-mean", () => {
    expect(errors(resolveNomad({ nomad: { region: "global", datacentre: "dc2" } }))).toMatch(/<environment dev>: nomad\.datacentre: unknown key "datacentre" \(did you mean "datacenter"\?\); allowed keys: datacenter, region/);
  });

  it("its defaults fill its block, with provenance naming its file and reason", () => {
    const r = resolveNomad({ nomad: { region: "global" } });
    expect(errors(r)).toBe("");
    const env = r.environments[0];
    expect(env.model.targetOptions).toEqual({ region: "global", datacenter: "dc1" });
    expect(env.provenance.origin(["nomad", "datacenter"])).toEqual({ kind: "default", where: "lib/targets/nomad/options.ts", rule: "nomad.datacenter", doc: "Nomad's default datacenter" });
    // The subnet default and check apply because it reads network.subnet; the limit range does not.
    expect(env.model.subnet?.text).toBe("10.240.0.0/16");
    expect(env.model.limitRange).toBeUndefined();
  });

  it("its settings checks run during resolution", () => {
    expect(errors(resolveNomad({}))).toMatch(/<environment dev>: nomad\.region: a Nomad environment needs a region, e.g\. region: global/);
  });

  it("settings it does not read, and other targets' blocks, are refused with its own advice", () => {
    const text = errors(resolveNomad({ nomad: { region: "global" }, quota: { cpu: "2" }, docker: { host: "unix:///var/run/docker.sock" } }));
    expect(text).toMatch(/<environment dev>: quota: has no effect on target "nomad" \(use a Nomad namespace quota \(not modelled yet\)\); remove quota from this environment, or run the environment on a target that reads it \("kubernetes"\)/);
    expect(text).toMatch(/<environment dev>: docker: settings of target "docker" have no effect on target "nomad"; remove the block, or set target: docker/);
  });

  it("the one defaults table lists every registered target's block defaults, naming the file that defines them", () => {
    for (const adapter of Object.values(TARGETS)) {
      for (const d of adapter.settings.defaults) {
        expect(DEFAULTS).toContainEqual(expect.objectContaining({ path: `${adapter.name}.${d.path}`, value: d.value, doc: d.doc, targets: [adapter.name], where: adapter.settings.source }));
      }
    }
  });
});
