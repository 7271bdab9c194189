import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import fc from "fast-check";
import * as os from "node:os";
import * as path from "node:path";
import { releasesCommand } from "../../lib/cli/commands/releases";
import { EXIT, UsageError } from "../../lib/cli/io";
import { EnvkitError, formatIssue } from "../../lib/errors";
import { gitHead, gitHistory, mayBeInGitCheckout, releaseHistory } from "../../lib/policy/history";
import { RELEASE_RECORD_FILE, readReleaseRecord, recordReleases, recordedReleases, writeFileAtomically } from "../../lib/policy/release-record";
import { ReleaseHistory } from "../../lib/policy/rule";
import { ruleById } from "../../lib/policy/rules";
import { REFERENCE_APP, cli, copyReferenceApp, edit, k8sEnv, miniApp, resolve, resolveOne } from "../helpers";

const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main", ...args], { cwd, stdio: "pipe" }).toString();
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const D = (c: string) => `sha256:${c.repeat(64)}`;

/** A folder with only a release record (no git). */
function recordDir(text: string): string {
  const dir = tmp("envkit-rec-");
  fs.writeFileSync(path.join(dir, RELEASE_RECORD_FILE), text);
  return dir;
}

/** A git repository whose app folder's staging file held api 1.0.0, then 1.1.0, then 1.2.0. */
function historyRepo(): { repo: string; app: string } {
  const repo = tmp("envkit-hist-");
  const app = path.join(repo, "infra", "app");
  fs.mkdirSync(path.join(app, "environments"), { recursive: true });
  git(repo, "init", "-q");
  const write = (env: string, api: string) => fs.writeFileSync(path.join(app, "environments", `${env}.yaml`), `target: kubernetes\nrelease:\n  api: "${api}"\n`);
  write("staging", "1.0.0");
  write("qa", "0.9.0");
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", "one");
  write("staging", "1.1.0");
  fs.writeFileSync(path.join(app, "environments", "broken.yaml"), "release: [unclosed\n");
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", "two");
  fs.rmSync(path.join(app, "environments", "qa.yaml"));
  write("staging", "1.2.0");
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", "three");
  return { repo, app };
}

describe("release history from git", () => {
  it("collects every release an environment file held, across commits, renames and deletions", () => {
    const h = gitHistory(historyRepo().app);
    expect(h.complete).toBe(true);
    expect([...h.releasesOf("staging", "api")].sort()).toEqual(["1.0.0", "1.1.0", "1.2.0"]);
    expect([...h.releasesOf("qa", "api")]).toEqual(["0.9.0"]);
    expect([...h.releasesOf("prod", "api")]).toEqual([]);
  });

  it("is unavailable outside a git checkout", () => {
    const none = tmp("envkit-nogit-");
    expect(gitHistory(none)).toMatchObject({ complete: false, reason: "not a git checkout" });
    expect(gitHistory(undefined).complete).toBe(false);
    expect(releaseHistory(none).available).toBe(false);
    expect(releaseHistory(undefined).available).toBe(false);
  });

  it("in a shallow clone, uses what its commits hold but does not claim complete history", () => {
    const { repo } = historyRepo();
    const clone = tmp("envkit-shallow-");
    execFileSync("git", ["clone", "-q", "--depth", "1", `file://${repo}`, clone], { stdio: "pipe" });
    expect(git(clone, "rev-parse", "--is-shallow-repository").trim()).toBe("true");
    const h = gitHistory(path.join(clone, "infra", "app"));
    expect(h).toMatchObject({ complete: false, reason: "a shallow clone" });
    expect([...h.releasesOf("staging", "api")]).toEqual(["1.2.0"]);
    expect(releaseHistory(path.join(clone, "infra", "app")).unavailable).toEqual(["the release record " + path.join(clone, "infra", "app", RELEASE_RECORD_FILE) + " (no such file)", "full git history (a shallow clone; git fetch --unshallow reads it)"]);
  });
});

describe("git runs only when history is asked for", () => {
  // The module object itself (an ES namespace import is frozen): envkit runs git with its execFileSync.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const childProcess = require("node:child_process") as typeof import("node:child_process");
  /** The git commands `fn` runs. */
  const gitCalls = (fn: () => void): string[] => {
    const spy = jest.spyOn(childProcess, "execFileSync");
    try {
      fn();
      return spy.mock.calls.filter(([file]) => file === "git").map(([, args]) => (args as string[]).join(" "));
    } finally {
      spy.mockRestore();
    }
  };

  it("reads git history once, when a rule first asks, not when the history is made", () => {
    const { app } = historyRepo();
    let h: ReturnType<typeof releaseHistory> | undefined;
    expect(gitCalls(() => (h = releaseHistory(app)))).toEqual([]);
    const calls = gitCalls(() => {
      expect([...h!.releasesOf("staging", "api")].sort()).toEqual(["1.0.0", "1.1.0", "1.2.0"]);
      expect(h!.available).toBe(true);
      expect(h!.searched).toContain("git history");
    });
    expect(calls[0]).toMatch(/^rev-parse --show-toplevel/);
    expect(gitCalls(() => h!.releasesOf("qa", "api"))).toEqual([]);
  });

  it("ran() answers as releasesOf().has(), from the record and git history together (fast-check)", () => {
    const { repo, app } = historyRepo();
    const head = git(repo, "rev-parse", "HEAD").trim();
    const releases = ["1.0.0", "1.1.0", "1.2.0", "0.9.0", "2.0.0"];
    const entry = fc.record({ env: fc.constantFrom("staging", "qa", "prod"), svc: fc.constantFrom("api", "web"), release: fc.constantFrom(...releases) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), fc.array(entry, { minLength: 1, maxLength: 8 }), (recorded, asked) => {
        const byEnv = new Map<string, Map<string, Set<string>>>();
        for (const e of recorded) {
          if (!byEnv.has(e.env)) byEnv.set(e.env, new Map());
          const bySvc = byEnv.get(e.env)!;
          bySvc.set(e.svc, new Set([...(bySvc.get(e.svc) ?? []), e.release]));
        }
        const item = (release: string) => `      - { release: "${release}", recorded: 2026-11-22, commit: ${head} }`;
        const text = `environments:\n${[...byEnv].map(([env, bySvc]) => `  ${env}:\n${[...bySvc].map(([svc, rels]) => `    ${svc}:\n${[...rels].map(item).join("\n")}`).join("\n")}`).join("\n")}\n`;
        fs.writeFileSync(path.join(app, RELEASE_RECORD_FILE), recorded.length ? text : "environments: {}\n");
        const h = releaseHistory(app);
        expect(h.issues).toEqual([]);
        for (const q of asked) expect(h.ran!(q.env, q.svc, q.release)).toBe(h.releasesOf(q.env, q.svc).has(q.release));
      }),
      { numRuns: 25 },
    );
  });

  it("starts no git process outside a checkout (no .git above the folder), and still says git history is missing", () => {
    const none = tmp("envkit-nogit-");
    expect(fs.existsSync(path.join(os.tmpdir(), ".git"))).toBe(false);
    let unavailable: readonly string[] | undefined;
    expect(gitCalls(() => (unavailable = releaseHistory(none).unavailable))).toEqual([]);
    expect(unavailable).toContain("git history (not a git checkout)");
    expect(mayBeInGitCheckout(none)).toBe(false);
    expect(mayBeInGitCheckout(path.join(historyRepo().app, "environments"))).toBe(true);
    const saved = process.env.GIT_DIR;
    process.env.GIT_DIR = path.join(none, "elsewhere.git");
    try {
      expect(mayBeInGitCheckout(none)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = saved;
    }
  });

  it("validate and compare of an app whose promoted releases its source pins or its record lists run no git; any other release reads git history", () => {
    const app = copyReferenceApp();
    git(app, "init", "-q");
    git(app, "add", "-A");
    git(app, "commit", "-qm", "the reference app");
    // As committed, prod runs releases staging no longer pins, which the release record lists: no git either.
    let recorded: { code: number } | undefined;
    expect(gitCalls(() => (recorded = cli("validate", "--config", app, "--env", "prod")))).toEqual([]);
    expect(recorded!.code).toBe(0);
    let compared: { code: number; out: string } | undefined;
    expect(gitCalls(() => (compared = cli("compare", "--config", app, "staging", "prod", "--format", "json")))).toEqual([]);
    expect((JSON.parse(compared!.out) as { unpromoted: unknown[] }).unpromoted).toEqual([]);
    const prodFile = path.join(app, "environments", "prod.yaml");
    const staging = fs.readFileSync(path.join(app, "environments", "staging.yaml"), "utf8");
    const pinOf = (svc: string) => new RegExp(`^  ${svc}: .*$`, "m").exec(staging)![0];
    // prod runs exactly what staging pins: promotion order needs no history.
    fs.writeFileSync(prodFile, fs.readFileSync(prodFile, "utf8").replace(/^  api: .*$/m, pinOf("api")).replace(/^  worker: .*$/m, pinOf("worker")));
    git(app, "add", "-A");
    git(app, "commit", "-qm", "prod runs staging's releases");
    let ok: { code: number; err: string } | undefined;
    expect(gitCalls(() => (ok = cli("validate", "--config", app, "--env", "prod")))).toEqual([]);
    expect(ok!.code).toBe(0);
    // A release staging does not pin: its history is read (record and git), and the release is refused.
    edit(prodFile, pinOf("api"), `  api: "9.9.9@${D("f")}"`);
    let refused: { code: number; err: string } | undefined;
    const calls = gitCalls(() => (refused = cli("validate", "--config", app, "--env", "prod")));
    expect(calls[0]).toMatch(/^rev-parse --show-toplevel/);
    expect(refused!.code).not.toBe(0);
    expect(refused!.err).toContain("ENVK-REL-001");
    expect(refused!.err).toContain("git history");
    const unpromoted = gitCalls(() => (compared = cli("compare", "--config", app, "staging", "prod", "--format", "json")));
    expect(unpromoted.length).toBeGreaterThan(0);
    expect((JSON.parse(compared!.out) as { unpromoted: unknown[] }).unpromoted).toEqual([{ service: "api", release: `9.9.9@${D("f")}` }]);
  });
});

describe("the release record (releases.yaml)", () => {
  const staging = (entries: string) => `environments:\n  staging:\n    api:\n${entries}`;

  it("alone, without git history, proves a release ran in an environment", () => {
    const dir = recordDir(staging(`      - release: "1.0.0@${D("a")}"\n        recorded: 2026-11-22\n`));
    const h = releaseHistory(dir);
    expect(h.available).toBe(true);
    expect(h.issues).toEqual([]);
    expect([...h.releasesOf("staging", "api")]).toEqual([`1.0.0@${D("a")}`]);
    expect(h.searched).toEqual([path.join(dir, RELEASE_RECORD_FILE)]);
    expect(h.unavailable).toEqual(["git history (not a git checkout)"]);
  });

  it("adds to git history: a release either source knows counts", () => {
    const { app } = historyRepo();
    fs.writeFileSync(path.join(app, RELEASE_RECORD_FILE), staging('      - { release: "0.5.0", recorded: "2026-01-02" }\n'));
    const h = releaseHistory(app);
    expect([...h.releasesOf("staging", "api")].sort()).toEqual(["0.5.0", "1.0.0", "1.1.0", "1.2.0"]);
    expect(h.searched).toEqual([path.join(app, RELEASE_RECORD_FILE), "git history"]);
    expect(h.unavailable).toEqual([]);
  });

  it("an empty or comment-only record is valid and records nothing", () => {
    for (const text of ["", "# nothing yet\n", "environments: {}\n"]) {
      const h = releaseHistory(recordDir(text));
      expect(h.issues).toEqual([]);
      expect(h.available).toBe(true);
    }
  });

  it("a service called constructor or __proto__ is not confused with Object's own properties", () => {
    const loaded = readReleaseRecord(recordDir(staging('      - { release: "1.0.0", recorded: "2026-01-02" }\n')));
    expect(recordedReleases(loaded.record, "staging", "constructor")).toEqual([]);
    expect(recordedReleases(loaded.record, "staging", "__proto__")).toEqual([]);
    expect(recordedReleases(loaded.record, "constructor", "api")).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ["a misspelled top-level key", 'environment:\n  staging: {}\n', /releases\.yaml:1: environment: unknown key "environment" \(did you mean "environments"\?\); allowed keys: environments$/],
    ["an unknown key in an entry", staging('      - release: "1.0.0"\n        recorded: 2026-01-02\n        date: 2026-01-02\n'), /releases\.yaml:6: environments\.staging\.api\.0\.date: unknown key "date".*allowed keys: commit, recorded, release$/],
    ["an entry without a release", staging("      - recorded: 2026-01-02\n"), /releases\.yaml:4: environments\.staging\.api\.0\.release: is required \(expected string\)$/],
    ["a release YAML reads as a number", staging("      - { release: 1.10, recorded: 2026-01-02 }\n"), /releases\.yaml:4: environments\.staging\.api\.0\.release: expected string, got /],
    ["a mutable release", staging('      - { release: "latest", recorded: 2026-01-02 }\n'), /releases\.yaml:4: environments\.staging\.api\.0\.release: "latest" is mutable \(tag "latest" is mutable;.*\); a moving tag says nothing about which image ran$/],
    ["a malformed digest", staging('      - { release: "1.0.0@sha256:zz", recorded: 2026-01-02 }\n'), /releases\.yaml:4: environments\.staging\.api\.0\.release: "1\.0\.0@sha256:zz" is not a release; write "<tag>", "<tag>@sha256:<64 hex>" or "@sha256:<64 hex>"/],
    ["a full image reference instead of a release", staging('      - { release: "ghcr.io/acme/api:1.0.0", recorded: 2026-01-02 }\n'), /environments\.staging\.api\.0\.release: "ghcr\.io\/acme\/api:1\.0\.0" is not a release/],
    ["an impossible month", staging('      - { release: "1.0.0", recorded: "2026-13-01" }\n'), /releases\.yaml:4: environments\.staging\.api\.0\.recorded: "2026-13-01" is not a date; write "YYYY-MM-DD"/],
    ["a day that does not exist", staging('      - { release: "1.0.0", recorded: "2026-02-31" }\n'), /releases\.yaml:4: environments\.staging\.api\.0\.recorded: "2026-02-31" is not a date/],
    ["a commit that is not a commit id", staging('      - { release: "1.0.0", recorded: 2026-01-02, commit: "HEAD~1" }\n'), /releases\.yaml:4: environments\.staging\.api\.0\.commit: must be a git commit id: 7 to 64 lowercase hex digits/],
    ["releases that are not a list", staging.call(null, "") + '      "1.0.0"\n', /releases\.yaml:3: environments\.staging\.api: expected array, got /],
    ["a record that is a list", "- staging\n", /releases\.yaml: expected object, got /],
    ["broken YAML", 'environments:\n  staging: [unclosed\n', /releases\.yaml:\d+: YAML syntax error/],
    ["a key written twice", 'environments:\n  staging: {}\n  staging: {}\n', /releases\.yaml:3: YAML syntax error: map keys must be unique/],
  ])("rejects %s, naming file:line, and is then not trusted", (_name, text, message) => {
    const dir = recordDir(text);
    const h = releaseHistory(dir);
    expect(h.issues!.map(formatIssue).join("\n")).toMatch(message);
    expect(h.available).toBe(false);
    expect([...h.releasesOf("staging", "api")]).toEqual([]);
    expect(h.unavailable![0]).toMatch(/^the release record .*releases\.yaml \(it is invalid: \d+ problem\(s\); "envkit releases list --config .*" lists them\)$/);
  });
});

describe("ENVK-REL-001 (promotion order) with the release record", () => {
  const rule = ruleById("ENVK-REL-001")!;
  const staging = resolveOne(miniApp(), "staging", k8sEnv()).model;
  const newer = `2.0.0@${D("c")}`;
  // promotion.from must name an environment of the same application: resolve prod beside staging.
  const prod = resolve(miniApp(), { staging: k8sEnv(), prod: k8sEnv({ promotion: { from: "staging" }, release: { web: newer, api: `1.0.0@${D("a")}`, db: `16.4@${D("a")}` } }) }).environments.find((e) => e.model.name === "prod")!.model;
  const check = (history: ReleaseHistory) => rule.check({ pass: "project", env: prod, all: [staging, prod], history });

  it("accepts a release the record says the predecessor ran, with no git history", () => {
    const dir = recordDir(`environments:\n  staging:\n    web:\n      - { release: "${newer}", recorded: 2026-11-22 }\n`);
    expect(check(releaseHistory(dir))).toEqual([]);
  });

  it("does not accept a release the record lists for another environment", () => {
    const dir = recordDir(`environments:\n  test:\n    web:\n      - { release: "${newer}", recorded: 2026-11-22 }\n`);
    expect(check(releaseHistory(dir))).toHaveLength(1);
  });

  it("without record or git history, says exactly what is missing and how to record the release", () => {
    const dir = tmp("envkit-none-");
    const [f] = check(releaseHistory(dir));
    const file = path.join(dir, RELEASE_RECORD_FILE);
    expect(f.path).toBe("release.web");
    expect(f.message).toBe(
      `"web" release "${newer}" never ran in "staging" as far as envkit can tell (it runs "1.0.0@${D("a")}"; unavailable: the release record ${file} (no such file), git history (not a git checkout)); ` +
        `if "staging" ran it, add it under environments.staging.web in ${file}; "envkit releases record --config ${dir} --env staging" records what "staging" runs after each deploy`,
    );
  });

  it("with the record and full git history, names where it looked and nothing more", () => {
    const { app } = historyRepo();
    fs.writeFileSync(path.join(app, RELEASE_RECORD_FILE), "environments: {}\n");
    const [f] = check(releaseHistory(app));
    expect(f.message).toBe(`"web" release "${newer}" never ran in "staging" (it runs "1.0.0@${D("a")}"; searched: ${path.join(app, RELEASE_RECORD_FILE)}, git history)`);
  });

  it("names an invalid record instead of silently ignoring it", () => {
    const dir = recordDir(`environments:\n  staging:\n    web:\n      - { release: "${newer}", recorded: yesterday }\n`);
    expect(check(releaseHistory(dir))[0].message).toMatch(/as far as envkit can tell .*unavailable: the release record .*releases\.yaml \(it is invalid: 1 problem\(s\)/);
  });

  it("the reference app's prod pins pass from its committed record alone, outside git", () => {
    const r = cli("validate", "--config", copyReferenceApp());
    expect(r.err).not.toContain("ENVK-REL-001");
    expect(r.code).toBe(0);
  });

  it("a copy of the reference app without its record fails closed and says how to fix it", () => {
    const dir = copyReferenceApp();
    fs.rmSync(path.join(dir, RELEASE_RECORD_FILE));
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/prod\.yaml:\d+: release\.api: \[ENVK-REL-001\] "api" release "2\.4\.1@sha256:[a-f0-9]{64}" never ran in "staging" as far as envkit can tell .*unavailable: the release record .*releases\.yaml \(no such file\), git history \(not a git checkout\)\); if "staging" ran it, add it under environments\.staging\.api in .*envkit releases record --config .* --env staging/);
  });
});

describe("envkit compare reads the release record too", () => {
  it("outside git, does not flag prod releases the record says staging ran", () => {
    const r = cli("compare", "--config", copyReferenceApp(), "staging", "prod", "--format", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).unpromoted).toEqual([]);
  });

  it("refuses an invalid record instead of flagging releases that may have run", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, RELEASE_RECORD_FILE), "    web:\n", "    web:\n      - { release: latest, recorded: 2026-11-22 }\n");
    const r = cli("compare", "--config", dir, "staging", "prod");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/releases\.yaml:11: environments\.staging\.web\.0\.release: "latest" is mutable/);
  });
});

/** Runs the verb as the CLI does (usage errors exit 2, EnvkitError 1), capturing output. */
function releases(opts: Parameters<typeof releasesCommand>[0]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  let code: number;
  try {
    code = releasesCommand(opts, { out: (t) => out.push(t), err: (t) => err.push(t) });
  } catch (e) {
    if (e instanceof UsageError) {
      err.push(e.message);
      code = EXIT.usage;
    } else if (e instanceof EnvkitError) {
      e.issues.forEach((i) => err.push(formatIssue(i)));
      code = EXIT.invalid;
    } else throw e;
  }
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("envkit releases record / list", () => {
  const today = process.env.ENVKIT_TODAY;
  beforeAll(() => (process.env.ENVKIT_TODAY = "2026-12-01"));
  afterAll(() => (today === undefined ? delete process.env.ENVKIT_TODAY : (process.env.ENVKIT_TODAY = today)));

  /** A copy of the reference app without a record, outside git. */
  const fresh = () => {
    const dir = copyReferenceApp();
    fs.rmSync(path.join(dir, RELEASE_RECORD_FILE));
    return dir;
  };
  const recordOf = (dir: string) => fs.readFileSync(path.join(dir, RELEASE_RECORD_FILE), "utf8");

  it("creates the record with what the environment runs, the date and the commit; prod then validates", () => {
    const dir = fresh();
    const r = releases({ action: "record", config: dir, env: "staging", commit: "abcdef1234" });
    expect(r).toMatchObject({ code: 0, err: "" });
    expect(r.out.split("\n")).toHaveLength(6);
    expect(r.out).toMatch(/^ {2}staging api "2\.5\.0@sha256:[a-f0-9]{64}" \(2026-12-01, commit abcdef1234\)$/m);
    const text = recordOf(dir);
    expect(text).toMatch(/^# Releases that ran in each environment/);
    expect(readReleaseRecord(dir).record!.environments!.staging.api).toEqual([{ release: expect.stringMatching(/^2\.5\.0@/), recorded: "2026-12-01", commit: "abcdef1234" }]);
    // Staging's current pins prove only what staging runs now; prod's older 2.4.1 still needs history.
    expect(cli("validate", "--config", dir).err).toMatch(/release\.api: \[ENVK-REL-001\]/);
  });

  it("is idempotent: recording again adds nothing and leaves the file byte-identical", () => {
    const dir = fresh();
    releases({ action: "record", config: dir, env: "staging" });
    const before = recordOf(dir);
    const again = releases({ action: "record", config: dir, env: "staging" });
    expect(again).toMatchObject({ code: 0, out: `nothing to record: ${path.join(dir, RELEASE_RECORD_FILE)} already lists the 5 release(s) "staging" runs` });
    expect(recordOf(dir)).toBe(before);
  });

  it("appends only the new release and keeps every comment and line of the existing record", () => {
    const dir = copyReferenceApp();
    const before = recordOf(dir);
    const pin = `2.6.0@${D("e")}`;
    edit(path.join(dir, "environments", "staging.yaml"), /api: "2\.5\.0@sha256:[a-f0-9]+"/, `api: "${pin}"`);
    const r = releases({ action: "record", config: dir, env: "staging" });
    expect(r.code).toBe(0);
    const after = recordOf(dir).split("\n");
    // Every old line survives, in order, and exactly the new entry is added under api.
    let i = 0;
    const added: string[] = [];
    for (const line of after) if (line === before.split("\n")[i]) i++; else added.push(line);
    expect(i).toBe(before.split("\n").length);
    expect(added).toEqual([`      - release: "${pin}"`, "        recorded: 2026-12-01"]);
    expect(after.indexOf(added[0])).toBeLessThan(after.indexOf("    worker:"));
  });

  it("refuses an environment pinning a mutable tag and writes nothing", () => {
    const dir = copyReferenceApp();
    const before = recordOf(dir);
    edit(path.join(dir, "environments", "staging.yaml"), /web: "1\.27\.2-alpine@sha256:[a-f0-9]+"/, 'web: "latest"');
    const r = releases({ action: "record", config: dir, env: "staging" });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/staging\.yaml:4: release\.web: .*mutable/);
    expect(recordOf(dir)).toBe(before);
  });

  it.each([
    ["latest", /release\.web: cannot be recorded: "latest" is mutable/],
    ["dev-latest", /cannot be recorded: "dev-latest" is mutable/],
    ["@sha256:bad", /cannot be recorded: "@sha256:bad" is not a release/],
  ])("the library refuses to record %p even when called directly", (release, message) => {
    const dir = recordDir("# empty\n");
    expect(() => recordReleases(dir, "staging", [{ service: "web", release }], { date: "2026-12-01" })).toThrow(message);
    expect(fs.readFileSync(path.join(dir, RELEASE_RECORD_FILE), "utf8")).toBe("# empty\n");
  });

  it("refuses to write over an invalid record, naming file:line", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, RELEASE_RECORD_FILE), "recorded: 2026-11-22", "recorded: 22.11.2026");
    const before = recordOf(dir);
    const r = releases({ action: "record", config: dir, env: "staging" });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/releases\.yaml:12: environments\.staging\.web\.0\.recorded: "22\.11\.2026" is not a date/);
    expect(recordOf(dir)).toBe(before);
  });

  it("records the checkout's HEAD when no --commit is given", () => {
    const repo = tmp("envkit-recgit-");
    fs.cpSync(fresh(), path.join(repo, "app"), { recursive: true });
    git(repo, "init", "-q");
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "app");
    const head = gitHead(repo)!;
    expect(head).toMatch(/^[0-9a-f]{40,64}$/);
    releases({ action: "record", config: path.join(repo, "app"), env: "prod" });
    expect(readReleaseRecord(path.join(repo, "app")).record!.environments!.prod.web[0].commit).toBe(head);
  });

  it("names the environments there are when asked to record an unknown one", () => {
    const r = releases({ action: "record", config: fresh(), env: "stagign" });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no environment "stagign" \(did you mean "staging"\?\); found: dev, prod, staging, swarm, test/);
  });

  it("lists the record as a table and as JSON, for every or one environment", () => {
    const dir = copyReferenceApp();
    const text = releases({ action: "list", config: dir });
    expect(text.code).toBe(0);
    expect(text.out.split("\n")[0]).toMatch(/^environment +service +release +recorded +commit$/);
    expect(text.out).toMatch(/^staging +api +2\.4\.1@sha256:05e2ceb0\S+ +2026-11-22 +8c3e6598cd6d$/m);
    expect(text.out.split("\n")).toHaveLength(8);
    const json = JSON.parse(releases({ action: "list", config: dir, env: "staging", format: "json" }).out);
    expect(Object.keys(json.environments)).toEqual(["staging"]);
    expect(json.environments.staging.worker).toHaveLength(2);
    expect(releases({ action: "list", config: dir, env: "prod" }).out).toBe(`${path.join(dir, RELEASE_RECORD_FILE)} records no release for "prod"`);
  });

  it("list without a record says how to create one", () => {
    const dir = fresh();
    expect(releases({ action: "list", config: dir }).out).toBe(`no release record: ${path.join(dir, RELEASE_RECORD_FILE)} does not exist; "envkit releases record --config ${dir} --env NAME" creates it after a deploy of NAME`);
  });

  it("list rejects an invalid record with file:line", () => {
    const dir = recordDir("environments:\n  staging:\n    api: [{ release: latest, recorded: 2026-01-01 }]\n");
    const r = releases({ action: "list", config: dir });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/releases\.yaml:3: environments\.staging\.api\.0\.release: "latest" is mutable/);
  });

  it.each<[string, Parameters<typeof releasesCommand>[0], string]>([
    ["no action", { config: "." }, "releases needs an action: record or list"],
    ["an unknown action", { action: "add", config: "." }, 'unknown action "add"; use record or list'],
    ["record without --env", { action: "record", config: "." }, "releases record needs --env NAME"],
    ["a --commit that is not a commit id", { action: "record", config: ".", env: "staging", commit: "main" }, '--commit must be a git commit id of 7 to 64 lowercase hex digits (got "main")'],
    ["an unknown --format", { action: "list", config: ".", format: "xml" }, '--format must be text or json (got "xml")'],
    ["--format on record", { action: "record", config: ".", env: "staging", format: "json" }, "--format applies to releases list only"],
  ])("rejects %s as a usage error", (_name, opts, message) => {
    const r = releases(opts);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});

describe("atomic writes of the record", () => {
  const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith(".envkit-tmp-"));

  it("a failed rename leaves the previous file and no temporary file", () => {
    const dir = tmp("envkit-atomic-");
    // A non-empty folder where the file should go makes the final rename fail.
    fs.mkdirSync(path.join(dir, RELEASE_RECORD_FILE));
    fs.writeFileSync(path.join(dir, RELEASE_RECORD_FILE, "keep"), "x");
    expect(() => writeFileAtomically(path.join(dir, RELEASE_RECORD_FILE), "environments: {}\n")).toThrow();
    expect(leftovers(dir)).toEqual([]);
    expect(fs.readFileSync(path.join(dir, RELEASE_RECORD_FILE, "keep"), "utf8")).toBe("x");
  });

  it("refuses to overwrite a record that changed since it was read (a concurrent recording)", () => {
    const dir = recordDir("environments: {}\n");
    const file = path.join(dir, RELEASE_RECORD_FILE);
    expect(() => writeFileAtomically(file, "# mine\n", "# what I read\n")).toThrow(/changed while envkit was updating it .*nothing was written, run the command again/);
    expect(() => writeFileAtomically(file, "# mine\n", null)).toThrow(/changed while envkit was updating it/);
    expect(fs.readFileSync(file, "utf8")).toBe("environments: {}\n");
    expect(leftovers(dir)).toEqual([]);
  });

  it("a full disk names the file asked for (not the temporary one; a descriptor write names none), leaving the previous file and no temporary file", () => {
    // Callers turn an fs error with a path into an issue; without one, a full disk ended promote,
    // releases record and diff --json-out as an internal error (found from outside).
    const dir = recordDir("environments: {}\n");
    const file = path.join(dir, RELEASE_RECORD_FILE);
    // The module itself (this file's `fs` is a namespace copy of it), as envkit's code reads it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const full = jest.spyOn(require("node:fs") as typeof fs, "fsyncSync").mockImplementation(() => {
      throw Object.assign(new Error("ENOSPC: no space left on device, fsync"), { code: "ENOSPC" });
    });
    try {
      expect(() => writeFileAtomically(file, "# new\n", "environments: {}\n")).toThrow(expect.objectContaining({ code: "ENOSPC", path: file }));
    } finally {
      full.mockRestore();
    }
    expect(fs.readFileSync(file, "utf8")).toBe("environments: {}\n");
    expect(leftovers(dir)).toEqual([]);
  });

  it("releases record on a full disk: an error naming the record and the fix (exit 1), the record unchanged", () => {
    const dir = copyReferenceApp();
    const file = path.join(dir, RELEASE_RECORD_FILE);
    const before = fs.readFileSync(file, "utf8");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const full = jest.spyOn(require("node:fs") as typeof fs, "fsyncSync").mockImplementation(() => {
      throw Object.assign(new Error("ENOSPC: no space left on device, fsync"), { code: "ENOSPC" });
    });
    let r: ReturnType<typeof cli>;
    try {
      r = cli("releases", "record", "--config", dir, "--env", "dev", "--commit", "abcdef1");
    } finally {
      full.mockRestore();
    }
    expect({ code: r.code, err: r.err }).toEqual({ code: 1, err: `${file}: no space is left on the device; it still holds its old content; check the folder's permissions and free space, then run envkit releases record again` });
    expect(fs.readFileSync(file, "utf8")).toBe(before);
  });

  (fs.existsSync("/dev/full") ? it : it.skip)("writes a device in place (renaming over /dev/full would replace it)", () => {
    expect(() => writeFileAtomically("/dev/full", "x\n")).toThrow(expect.objectContaining({ code: "ENOSPC", path: "/dev/full" }));
    expect(fs.statSync("/dev/full").isCharacterDevice()).toBe(true);
  });

  it("releases list --env of an unknown environment is exit 1 with a did-you-mean; a known one without entries is not an error", () => {
    const r = cli("releases", "list", "--config", REFERENCE_APP, "--env", "prdo");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no environment "prdo" \(did you mean "prod"\?\); environments: dev, prod, staging, swarm, test/);
    expect(cli("releases", "list", "--config", REFERENCE_APP, "--env", "dev").code).toBe(0);
  });

  it("records into a releases.yaml that starts with a byte-order mark, and keeps the mark (it always said the file had changed)", () => {
    const dir = copyReferenceApp();
    const file = path.join(dir, RELEASE_RECORD_FILE);
    fs.writeFileSync(file, `\uFEFF${fs.readFileSync(file, "utf8")}`);
    const r = cli("releases", "record", "--config", dir, "--env", "dev", "--commit", "abcdef1");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^recorded in /);
    const after = fs.readFileSync(file, "utf8");
    expect(after.startsWith("\uFEFF")).toBe(true);
    expect(after).toContain("abcdef1");
  });

  it("keeps the file's permissions", () => {
    const dir = recordDir("environments: {}\n");
    const file = path.join(dir, RELEASE_RECORD_FILE);
    fs.chmodSync(file, 0o640);
    writeFileAtomically(file, "# new\n", "environments: {}\n");
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(fs.readFileSync(file, "utf8")).toBe("# new\n");
  });
});
