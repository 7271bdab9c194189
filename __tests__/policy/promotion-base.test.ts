import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { baseReleaseHistory, releaseHistory } from "../../lib/policy/history";
import { chooseBase } from "../../lib/policy/promotion";
import { EnvkitError } from "../../lib/errors";
import { cli, pullRequestRepo, testGit } from "../helpers";

const git = testGit;
const D = (c: string) => `sha256:${c.repeat(64)}`;
const A = `1.0.0@${D("a")}`;
const B = `1.1.0@${D("b")}`;

const appYaml = (names: readonly string[]) =>
  ["name: shop", "services:", ...names.flatMap((n) => [`  ${n}:`, "    image: ghcr.io/acme/api", "    health:", '      command: ["true"]'])].join("\n") + "\n";
const envYaml = (pins: Record<string, string>, promoted = false) =>
  ["target: kubernetes", "release:", ...Object.entries(pins).map(([s, r]) => `  ${s}: "${r}"`), ...(promoted ? ["promotion:", "  from: staging"] : []), "policy:", "  enforcement: advisory", ""].join("\n");

interface State {
  readonly services?: readonly string[];
  readonly staging: Record<string, string>;
  readonly prod: Record<string, string>;
}

/** A repository whose main branch (the base) holds `base`; the checkout is a branch "change" holding `head`, committed. */
function repo(base: State, head: State): { repo: string; app: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-base-"));
  const app = path.join(root, "infra", "app");
  fs.mkdirSync(path.join(app, "environments"), { recursive: true });
  const write = (s: State) => {
    fs.writeFileSync(path.join(app, "app.yaml"), appYaml(s.services ?? Object.keys(s.staging)));
    fs.writeFileSync(path.join(app, "environments", "staging.yaml"), envYaml(s.staging));
    fs.writeFileSync(path.join(app, "environments", "prod.yaml"), envYaml(s.prod, true));
  };
  pullRequestRepo(root, () => write(base), () => write(head));
  return { repo: root, app };
}

const rel001 = (err: string) => err.split("\n").filter((l) => l.includes("[ENVK-REL-001]"));

describe("promotion order judged at the pull request's base (--base)", () => {
  it("reports a release that appears in staging and prod in the same change (it never ran in staging)", () => {
    const { app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: B }, prod: { api: B } });
    const r = cli("validate", "--config", app, "--base", "main");
    const found = rel001(r.err);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`prod\\.yaml:3: warning: release\\.api: \\[ENVK-REL-001\\] "api" release "1\\.1\\.0@sha256:b+" never ran in "staging" at the base main \\([0-9a-f]{12}\\)`));
    expect(found[0]).toContain(`it pinned "${A}"`);
  });

  it("without a base, the same change passes: the working tree's staging pins the release (the gap --base closes)", () => {
    const { app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: B }, prod: { api: B } });
    expect(rel001(cli("validate", "--config", app).err)).toEqual([]);
  });

  it("accepts a prod bump to what staging pinned at the base", () => {
    const { app } = repo({ staging: { api: B }, prod: { api: A } }, { staging: { api: B }, prod: { api: B } });
    const r = cli("validate", "--config", app, "--base", "main");
    expect(rel001(r.err)).toEqual([]);
    expect(r.out).toMatch(/promotion order judged at main \([0-9a-f]{12}\)/);
  });

  it("accepts a release staging ran before the base, from git history up to the base", () => {
    const { repo: root, app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: A }, prod: { api: A } });
    // staging moved on after A; prod goes back to A in the change.
    git(root, "checkout", "-q", "main");
    fs.writeFileSync(path.join(app, "environments", "staging.yaml"), envYaml({ api: B }));
    git(root, "commit", "-qam", "staging to B");
    git(root, "checkout", "-q", "change");
    expect(rel001(cli("validate", "--config", app, "--base", "main").err)).toEqual([]);
  });

  it("does not trust a release record entry added by the change itself", () => {
    const { repo: root, app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: A }, prod: { api: B } });
    fs.writeFileSync(path.join(app, "releases.yaml"), `environments:\n  staging:\n    api:\n      - release: "${B}"\n        recorded: 2026-11-30\n`);
    git(root, "add", "-A");
    git(root, "commit", "-qm", "claim staging ran B");
    expect(rel001(cli("validate", "--config", app).err)).toEqual([]);
    expect(rel001(cli("validate", "--config", app, "--base", "main").err)).toHaveLength(1);
  });

  it("trusts the release record committed at the base", () => {
    const { repo: root, app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: A }, prod: { api: A } });
    git(root, "checkout", "-q", "main");
    fs.writeFileSync(path.join(app, "releases.yaml"), `environments:\n  staging:\n    api:\n      - release: "${B}"\n        recorded: 2026-11-30\n`);
    git(root, "add", "-A");
    git(root, "commit", "-qm", "record");
    git(root, "checkout", "-q", "change");
    fs.writeFileSync(path.join(app, "environments", "prod.yaml"), envYaml({ api: B }, true));
    const h = baseReleaseHistory(app, ["main"]);
    expect(h.searched).toContain("releases.yaml at main");
    expect(rel001(cli("validate", "--config", app, "--base", "main").err)).toEqual([]);
  });

  it("policy --base reports the same finding", () => {
    const { app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: B }, prod: { api: B } });
    const r = cli("policy", "--config", app, "--base", "main", "--format", "json");
    const j = JSON.parse(r.out);
    expect(j.findings.filter((f: { rule: string }) => f.rule === "ENVK-REL-001")).toHaveLength(1);
  });
});

describe("renamed services are judged by their release, not their name", () => {
  it("a service renamed in staging and prod in the same change, keeping its release, passes with no suppression", () => {
    const { app } = repo({ services: ["api"], staging: { api: A }, prod: { api: A } }, { services: ["orders"], staging: { orders: A }, prod: { orders: A } });
    expect(rel001(cli("validate", "--config", app, "--base", "main").err)).toEqual([]);
  });

  it("a renamed service whose digest staging never ran is reported, saying it was judged by digest", () => {
    const { app } = repo({ services: ["api"], staging: { api: A }, prod: { api: A } }, { services: ["orders"], staging: { orders: B }, prod: { orders: B } });
    const found = rel001(cli("validate", "--config", app, "--base", "main").err);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/"orders" is new to "staging", so it is judged by digest: no service there ran sha256:b+/);
  });

  it("a service known to staging under its name is not matched against other services' digests", () => {
    // worker runs A's digest in staging; api must still have run B under its own name.
    const { app } = repo({ staging: { api: A, worker: B }, prod: { api: A, worker: B } }, { staging: { api: A, worker: B }, prod: { api: `1.1.0@${D("b")}`, worker: B } });
    expect(rel001(cli("validate", "--config", app, "--base", "main").err)).toHaveLength(1);
  });

  it("the same digest under another tag counts as the same image", () => {
    const { app } = repo({ staging: { api: `1.1.0-rc1@${D("b")}` }, prod: { api: A } }, { staging: { api: `1.1.0-rc1@${D("b")}` }, prod: { api: B } });
    expect(rel001(cli("validate", "--config", app, "--base", "main").err)).toEqual([]);
  });
});

describe("validate --env prod runs the promotion check with its source environment loaded", () => {
  it("reports a prod release staging never ran, though other cross-environment checks are skipped", () => {
    const { app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: A }, prod: { api: B } });
    const found = rel001(cli("validate", "--config", app, "--env", "prod").err);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/prod\.yaml:3: warning: release\.api: \[ENVK-REL-001\] "api" release "1\.1\.0@sha256:b+" never ran in "staging"/);
  });

  it("says promotion order cannot be judged when the source environment does not resolve", () => {
    const { app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: A }, prod: { api: A } });
    fs.appendFileSync(path.join(app, "environments", "staging.yaml"), "replicaz: 2\n");
    const r = cli("validate", "--config", app, "--env", "prod");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/prod\.yaml:5: promotion\.from: promotion order \(ENVK-REL-001\) cannot be judged: environment "staging" does not resolve/);
  });

  it("policy --env prod reports it too", () => {
    const { app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: A }, prod: { api: B } });
    const j = JSON.parse(cli("policy", "--config", app, "--env", "prod", "--format", "json").out);
    expect(j.findings.map((f: { rule: string }) => f.rule)).toContain("ENVK-REL-001");
  });
});

describe("choosing and reading the base", () => {
  it("takes --base first, then origin/$GITHUB_BASE_REF and $GITHUB_BASE_REF, else none", () => {
    expect(chooseBase("v1", { GITHUB_BASE_REF: "main" })).toEqual({ refs: ["v1"], setBy: "--base" });
    expect(chooseBase(undefined, { GITHUB_BASE_REF: "main" })).toEqual({ refs: ["origin/main", "main"], setBy: "GITHUB_BASE_REF" });
    expect(chooseBase(undefined, { GITHUB_BASE_REF: "" })).toBeUndefined();
    expect(chooseBase(undefined, {})).toBeUndefined();
  });

  it("in a GitHub pull request (GITHUB_BASE_REF) judges at the base branch without a flag", () => {
    const { app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: B }, prod: { api: B } });
    process.env.GITHUB_BASE_REF = "main";
    try {
      expect(rel001(cli("validate", "--config", app).err)).toHaveLength(1);
    } finally {
      delete process.env.GITHUB_BASE_REF;
    }
  });

  it("fails closed, with the fetch command, when the base is not in the checkout", () => {
    const { app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: A }, prod: { api: A } });
    process.env.GITHUB_BASE_REF = "release-7";
    try {
      const r = cli("validate", "--config", app);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/GITHUB_BASE_REF: "origin\/release-7" and "release-7" name no commit in this checkout; fetch the base branch first \(git fetch --no-tags origin release-7\)/);
    } finally {
      delete process.env.GITHUB_BASE_REF;
    }
  });

  it.each(["--upload-pack=touch /tmp/x", "main..HEAD", "-n1", "a b"])("refuses %j as a ref (never passed to git as an option or range)", (ref) => {
    const { app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: A }, prod: { api: A } });
    expect(() => baseReleaseHistory(app, [ref])).toThrow(EnvkitError);
    expect(() => baseReleaseHistory(app, [ref])).toThrow(/is not a git ref envkit accepts/);
  });

  it("accepts ancestry suffixes as envkit diff does (HEAD~1, main^1), and names a single missing ref in the singular", () => {
    const { app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: A }, prod: { api: A } });
    for (const ref of ["HEAD~1", "HEAD^1", "main~0"]) expect(() => baseReleaseHistory(app, [ref])).not.toThrow();
    expect(() => baseReleaseHistory(app, ["HEAD~99"])).toThrow(/"HEAD~99" names no commit in this checkout/);
  });

  it("refuses --base outside a git checkout", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-nogit-"));
    expect(() => baseReleaseHistory(dir, ["main"])).toThrow(/is not in a git checkout, so promotion order cannot be judged at the base main/);
  });

  it("knows when an environment got a release: the record's day from its end, else the oldest commit pinning it", () => {
    const { app } = repo({ staging: { api: A }, prod: { api: A } }, { staging: { api: B }, prod: { api: A } });
    const h = releaseHistory(app);
    expect(h.since("staging", "api", A)?.from).toMatch(/^git history/);
    fs.writeFileSync(path.join(app, "releases.yaml"), `environments:\n  staging:\n    api:\n      - release: "${A}"\n        recorded: 2026-11-20\n`);
    expect(releaseHistory(app).since("staging", "api", A)).toEqual({ at: Date.parse("2026-11-21T00:00:00Z"), from: expect.stringMatching(/^the release record \(recorded 2026-11-20/) });
    expect(releaseHistory(app).since("staging", "api", `9.9.9@${D("f")}`)).toBeUndefined();
  });
});
