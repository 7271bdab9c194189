import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { setReleases } from "../../lib/cli/commands/promote";
import { EnvkitError } from "../../lib/errors";
import { cli } from "../helpers";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const A1 = `1.0.0@${D("a")}`;
const B1 = `1.1.0@${D("b")}`;
const W1 = `1.0.0@${D("c")}`;
const W2 = `2.0.0@${D("d")}`;

const APP = `# shop
name: shop
services:
  api:
    image: ghcr.io/acme/api
    ports:
      - name: http
        port: 3000
    health:
      http: { path: /health, port: http }
  worker:
    image: ghcr.io/acme/worker
    health:
      command: ["true"]
`;

const STAGING = `# staging runs every release first
target: kubernetes
release:
  api: "${B1}"
  worker: '${W2}'
policy:
  enforcement: advisory
`;

/** A prod file with comments, blank lines, mixed quoting and a flow map: everything promote must keep. */
const PROD = `# prod: only what ran in staging

target: kubernetes   # the cluster
release:   # pinned per service
  # the API, bumped by envkit promote
  api: "${A1}"  # was 0.9

  worker: '${W1}'
promotion:
  from: staging
policy: { enforcement: advisory }   # flow map
services:
  api: { replicas: 2 }
`;

const RECORD = `# what ran
environments:
  staging:
    api:
      - release: "${B1}"
        recorded: 2026-11-20
    worker:
      - release: "${W2}"
        recorded: 2026-11-29
`;

function app(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-promote-"));
  fs.mkdirSync(path.join(dir, "environments"));
  const all: Record<string, string> = { "app.yaml": APP, "environments/staging.yaml": STAGING, "environments/prod.yaml": PROD, "releases.yaml": RECORD, ...files };
  for (const [f, text] of Object.entries(all)) if (text !== "") fs.writeFileSync(path.join(dir, f), text);
  return dir;
}

const prodOf = (dir: string) => fs.readFileSync(path.join(dir, "environments", "prod.yaml"), "utf8");
const promote = (dir: string, ...args: string[]) => cli("promote", "--config", dir, "--from", "staging", "--to", "prod", ...args);

/** Lines of `after` that differ from `before` (same line count expected). */
function changedLines(before: string, after: string): number[] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return a.flatMap((l, i) => (l === b[i] ? [] : [i + 1]));
}

describe("envkit promote: edits only the release lines", () => {
  it("copies staging's releases into prod, changing only those value bytes (comments, quoting, blank lines, flow maps kept)", () => {
    const dir = app();
    const r = promote(dir);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const after = prodOf(dir);
    expect(changedLines(PROD, after)).toEqual([6, 8]);
    expect(after).toBe(PROD.replace(`"${A1}"`, `"${B1}"`).replace(`'${W1}'`, `'${W2}'`));
    expect(r.out).toContain(`api     ${A1} → ${B1}`);
    expect(r.out).toContain("wrote");
  });

  it("promotes only the named services and lists them", () => {
    const dir = app();
    const r = promote(dir, "worker");
    expect(r.code).toBe(0);
    expect(changedLines(PROD, prodOf(dir))).toEqual([8]);
    expect(r.out).not.toContain("api ");
  });

  it("lists a service already on staging's release as unchanged", () => {
    const dir = app({ "environments/prod.yaml": PROD.replace(W1, W2) });
    const r = promote(dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`worker\\s+unchanged\\s+${W2.replace(/[.]/g, "\\.")}`));
  });

  it("writes nothing and says so when prod already runs every release", () => {
    const dir = app({ "environments/prod.yaml": PROD.replace(A1, B1).replace(W1, W2) });
    const before = fs.statSync(path.join(dir, "environments", "prod.yaml")).mtimeMs;
    const r = promote(dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain("nothing to promote");
    expect(fs.statSync(path.join(dir, "environments", "prod.yaml")).mtimeMs).toBe(before);
  });

  it("--dry-run prints the change and leaves the file alone", () => {
    const dir = app();
    const r = promote(dir, "--dry-run");
    expect(r.code).toBe(0);
    expect(r.out).toContain("dry run");
    expect(prodOf(dir)).toBe(PROD);
  });

  it("--format markdown prints a table for the pull request body (status on stderr)", () => {
    const dir = app();
    const r = promote(dir, "--format", "markdown", "--dry-run");
    expect(r.code).toBe(0);
    expect(r.out).toContain("| Service | `prod` before | `prod` after |");
    expect(r.out).toContain(`| api | \`${A1}\` | \`${B1}\` |`);
    expect(r.err).toContain("dry run");
  });

  it("--format json gives old, new and status per service", () => {
    const dir = app({ "environments/prod.yaml": PROD.replace(W1, W2) });
    const r = promote(dir, "--format", "json");
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ from: "staging", to: "prod", written: true, dryRun: false });
    expect(j.services).toEqual([
      { service: "api", old: A1, new: B1, status: "changed" },
      { service: "worker", old: W2, new: W2, status: "unchanged" },
    ]);
  });

  it("keeps the file mode and a CRLF file's line endings", () => {
    const dir = app({ "environments/prod.yaml": PROD.replace(/\n/g, "\r\n") });
    const file = path.join(dir, "environments", "prod.yaml");
    fs.chmodSync(file, 0o640);
    expect(promote(dir).code).toBe(0);
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(prodOf(dir)).toBe(PROD.replace(A1, B1).replace(W1, W2).replace(/\n/g, "\r\n"));
  });
});

describe("setReleases: a missing entry or map is added in the file's style", () => {
  it("adds a missing service after the block map's last entry, quoted like the first value", () => {
    const text = `target: docker\nrelease:\n    web: '1.0.0'   # note\n# after\npolicy: {}\n`;
    expect(setReleases(text, [{ service: "api", release: A1 }])).toBe(`target: docker\nrelease:\n    web: '1.0.0'   # note\n    api: '${A1}'\n# after\npolicy: {}\n`);
  });

  it("adds a missing service to a flow map before its closing brace", () => {
    expect(setReleases(`target: docker\nrelease: { web: "1" }  # c\n`, [{ service: "api", release: A1 }])).toBe(`target: docker\nrelease: { web: "1", api: "${A1}" }  # c\n`);
    expect(setReleases(`target: docker\nrelease: {}\n`, [{ service: "api", release: A1 }])).toBe(`target: docker\nrelease: { api: "${A1}" }\n`);
  });

  it("adds a missing release: map after target:, indented like the file's other maps", () => {
    const text = `# env\ntarget: docker\npolicy:\n    enforcement: advisory\n`;
    expect(setReleases(text, [{ service: "api", release: A1 }])).toBe(`# env\ntarget: docker\nrelease:\n    api: "${A1}"\npolicy:\n    enforcement: advisory\n`);
  });

  it("fills an empty release: key", () => {
    expect(setReleases(`target: docker\nrelease:\npolicy: {}\n`, [{ service: "api", release: A1 }])).toBe(`target: docker\nrelease:\n  api: "${A1}"\npolicy: {}\n`);
  });

  it("keeps a plain value plain when it reads back as the same string, and quotes one that would not", () => {
    expect(setReleases(`release:\n  api: 1.0.0\n`, [{ service: "api", release: "1.2.0" }])).toBe(`release:\n  api: 1.2.0\n`);
    expect(setReleases(`release:\n  api: 1.0.0\n`, [{ service: "api", release: "1.10" }])).toBe(`release:\n  api: "1.10"\n`);
    expect(setReleases(`release:\n  api: 1.0.0\n`, [{ service: "api", release: `@${D("e")}` }])).toBe(`release:\n  api: "@${D("e")}"\n`);
  });

  it("keeps a byte-order mark", () => {
    expect(setReleases(`\uFEFFrelease:\n  api: "1"\n`, [{ service: "api", release: "2" }])).toBe(`\uFEFFrelease:\n  api: "2"\n`);
  });

  it.each([
    ["an alias", `x: &r "1"\nrelease:\n  api: *r\n`, /release\.api: is an alias/],
    ["an anchored value others may repeat", `release:\n  api: &r "1"\nother: *r\n`, /release\.api: carries the anchor &r/],
    ["a block scalar", `release:\n  api: |\n    1.0.0\n`, /release\.api: is a block scalar/],
    ["release: that is a list", `release:\n  - api\n`, /release: is not a map of service: release/],
  ])("refuses to edit %s in place", (_what, text, message) => {
    expect(() => setReleases(text, [{ service: "api", release: A1 }], "env.yaml")).toThrow(EnvkitError);
    expect(() => setReleases(text, [{ service: "api", release: A1 }], "env.yaml")).toThrow(message);
  });

  // Comments, blank lines and other settings around the release map, in every quoting style.
  const style = fc.constantFrom<(s: string) => string>((s) => `"${s}"`, (s) => `'${s}'`, (s) => s);
  const filler = fc.uniqueArray(fc.constantFrom("# a comment", "", "  # indented comment", "policy: { enforcement: advisory }", "domain: x.example.com # trailing", "services:\n  api: { replicas: 2 }"), { maxLength: 6 });
  const tag = fc.stringMatching(/^[0-9]\.[0-9]{1,2}\.[0-9]$/);
  it("never changes any line but the release lines (property)", () => {
    fc.assert(
      fc.property(filler, fc.nat(4), style, style, tag, tag, fc.constantFrom("a", "b", "c"), fc.boolean(), (lines, cut, s1, s2, t1, t2, digit, comment) => {
        const [before, after] = [lines.slice(0, cut), lines.slice(cut)];
        const relLines = [`  api: ${s1(`${t1}@${D("a")}`)}${comment ? "  # pinned" : ""}`, `  worker: ${s2(`${t2}@${D("b")}`)}`];
        const text = ["target: kubernetes", ...before, "release:", ...relLines, ...after, ""].join("\n");
        const next = setReleases(text, [
          { service: "api", release: `9.9.9@${D(digit)}` },
          { service: "worker", release: `8.8.8@${D("f")}` },
        ]);
        const a = text.split("\n");
        const b = next.split("\n");
        expect(b.length).toBe(a.length);
        const changed = a.flatMap((l, i) => (l === b[i] ? [] : [i]));
        const releaseAt = a.indexOf("release:");
        expect(changed.every((i) => i === releaseAt + 1 || i === releaseAt + 2)).toBe(true);
        expect(b[releaseAt + 1]).toContain(`9.9.9@${D(digit)}`);
        if (comment) expect(b[releaseAt + 1].endsWith("  # pinned")).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("envkit promote: refusals (exit 1, nothing written)", () => {
  const refused = (dir: string, r: { code: number; err: string }, message: RegExp) => {
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.err).toContain(`envkit promote: refused, ${path.join(dir, "environments", "prod.yaml")} was not changed`);
  };

  it("refuses a release without a digest in the source, naming its file:line", () => {
    const dir = app({ "environments/staging.yaml": STAGING.replace(`"${B1}"`, `"1.1.0"`) });
    const r = promote(dir);
    refused(dir, r, new RegExp(`environments/staging\\.yaml:4: release\\.api: "1\\.1\\.0" has no digest`));
    expect(prodOf(dir)).toBe(PROD);
  });

  it("names the YAML syntax error of an environment file that cannot be read, not \"no environment\" (promote and rollout)", () => {
    const dir = app({ "environments/prod.yaml": `${PROD}replicas: [unclosed\n` });
    const broken = new RegExp(`^${path.join(dir, "environments", "prod.yaml").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\d+: YAML syntax error: `);
    for (const r of [promote(dir), cli("rollout", "--config", dir, "--env", "prod", "--service", "api", "--step"), cli("explain", "--config", dir, "--env", "prod")]) {
      expect(r.code).toBe(1);
      expect(r.err).toMatch(broken);
      expect(r.err).not.toContain("no environment");
    }
    expect(prodOf(dir)).toBe(`${PROD}replicas: [unclosed\n`);
  });

  it("refuses a release that never ran in the source (no record entry, no git history)", () => {
    const dir = app({ "releases.yaml": RECORD.replace(`"${B1}"`, `"${A1}"`) });
    const r = promote(dir);
    refused(dir, r, /staging\.yaml:4: release\.api: "1\.1\.0@sha256:b+" never ran in "staging" as far as envkit can tell .*pass --force-unrecorded/);
    expect(prodOf(dir)).toBe(PROD);
  });

  it("--force-unrecorded promotes an unrecorded release with a warning", () => {
    const dir = app({ "releases.yaml": "" });
    const r = promote(dir, "--force-unrecorded");
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: release\.api: .* is promoted although nothing shows it ran in "staging"/);
    expect(prodOf(dir)).toContain(B1);
  });

  it("refuses when the target's promotion.from names another environment", () => {
    const dir = app({ "environments/qa.yaml": STAGING, "environments/prod.yaml": PROD.replace("from: staging", "from: qa") });
    const r = promote(dir);
    refused(dir, r, /environments\/prod\.yaml:10: promotion\.from: "prod" is promoted from "qa", not "staging"; run envkit promote --from qa --to prod/);
  });

  it("refuses an unknown service with a did-you-mean", () => {
    const dir = app();
    refused(dir, promote(dir, "wroker"), /app\.yaml:3: services: no service "wroker" \(did you mean "worker"\?\); services: api, worker/);
    expect(prodOf(dir)).toBe(PROD);
  });

  it("refuses an unknown environment with a did-you-mean", () => {
    const dir = app();
    const r = cli("promote", "--config", dir, "--from", "stagin", "--to", "prod");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/environments: no environment "stagin" \(did you mean "staging"\?\)/);
  });

  it("refuses a promotion before promotion.soak has elapsed since the record's day", () => {
    const prod = PROD.replace("  from: staging\n", "  from: staging\n  soak: 2d\n");
    const dir = app({ "environments/prod.yaml": prod });
    process.env.ENVKIT_NOW = "2026-12-01T12:00:00Z";
    try {
      const r = promote(dir);
      // worker was recorded on 2026-11-29: counted from the end of that day, 1d 12h have passed.
      refused(dir, r, /prod\.yaml:11: promotion\.soak: "worker" release "2\.0\.0@sha256:d+" has soaked 36h 0m of 2d in "staging" \(since 2026-11-30T00:00:00\.000Z, from the release record.*promote after 2026-12-02T00:00:00\.000Z/);
      expect(r.err).not.toContain('"api" release');
      expect(prodOf(dir)).toBe(prod);
      process.env.ENVKIT_NOW = "2026-12-02T00:00:00Z";
      expect(promote(dir).code).toBe(0);
    } finally {
      delete process.env.ENVKIT_NOW;
    }
  });

  it("a bad ENVKIT_NOW is exit 1 naming it (like ENVKIT_TODAY), not a usage error, and nothing is written", () => {
    const prod = PROD.replace("  from: staging\n", "  from: staging\n  soak: 2d\n");
    const dir = app({ "environments/prod.yaml": prod });
    const before = process.env.ENVKIT_NOW;
    process.env.ENVKIT_NOW = "garbage";
    try {
      const r = promote(dir);
      expect({ code: r.code, err: r.err }).toEqual({ code: 1, err: 'ENVKIT_NOW: must be an ISO 8601 time such as "2026-12-01T12:00:00Z" (got "garbage"); promotion.soak is judged against it' });
      // Date.parse reads these as years 2000 and 2001, and an impossible day as the next month's.
      for (const loose of ["0", "Dec 3", "2026-02-30T00:00:00Z"]) {
        process.env.ENVKIT_NOW = loose;
        expect(promote(dir).err).toContain(`ENVKIT_NOW: must be an ISO 8601 time such as "2026-12-01T12:00:00Z" (got ${JSON.stringify(loose)})`);
      }
    } finally {
      if (before === undefined) delete process.env.ENVKIT_NOW;
      else process.env.ENVKIT_NOW = before;
    }
    expect(prodOf(dir)).toBe(prod);
  });

  it("refuses a soak that cannot be shown (no record entry, no history) even with --force-unrecorded", () => {
    const dir = app({ "releases.yaml": "", "environments/prod.yaml": PROD.replace("  from: staging\n", "  from: staging\n  soak: 30m\n") });
    const r = promote(dir, "--force-unrecorded");
    refused(dir, r, /promotion\.soak: "api" release .* the soak of 30m cannot be shown to have passed in "staging"/);
  });

  it("refuses a source environment that does not validate, with its own messages", () => {
    const dir = app({ "environments/staging.yaml": STAGING.replace("target: kubernetes", "target: kubernetes\nreplicaz: 2") });
    const r = promote(dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/environments\/staging\.yaml:3: replicaz/);
  });

  it.each(["2 days", "0h", "90s", "1.5h", "10000d"])("validate refuses promotion.soak %j, naming the form it takes", (soak) => {
    const dir = app({ "environments/prod.yaml": PROD.replace("  from: staging\n", `  from: staging\n  soak: "${soak}"\n`) });
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/prod\.yaml:11: promotion\.soak: must be a soak time: a whole number of minutes, hours or days, e\.g\. "30m", "24h" or "3d"/);
  });

  it("validate accepts promotion.soak in minutes, hours and days", () => {
    for (const soak of ["30m", "24h", "3d"]) {
      const dir = app({ "environments/prod.yaml": PROD.replace("  from: staging\n", `  from: staging\n  soak: ${soak}\n`) });
      expect(cli("validate", "--config", dir).err).not.toContain("promotion.soak");
    }
  });

  it("is a usage error (exit 2) to promote an environment onto itself or use an unknown format", () => {
    const dir = app();
    expect(cli("promote", "--config", dir, "--from", "prod", "--to", "prod").code).toBe(2);
    expect(promote(dir, "--format", "yaml").code).toBe(2);
  });
});

describe("envkit promote and the monitoring set (monitoring.stack: true)", () => {
  // Docker runs the whole set; prod's Prometheus is older than staging's.
  const images = (prometheus: string) => `monitoring:
  stack: true
  images:
    prometheus: "docker.io/prom/prometheus:${prometheus}"
    alertmanager: "docker.io/prom/alertmanager:v0.28.1@${D("f")}"
    grafana: "docker.io/grafana/grafana:12.4.3@${D("1")}"
    cadvisor: "gcr.io/cadvisor/cadvisor:v0.49.1@${D("2")}"
`;
  const staging = `target: docker\nrelease:\n  api: "${B1}"\n  worker: '${W2}'\npolicy:\n  enforcement: advisory\n${images(`v2.51.0@${D("e")}`)}`;
  const prod = `target: docker\nrelease:\n  api: "${A1}"\n  worker: '${W1}'\npromotion:\n  from: staging\npolicy:\n  enforcement: advisory\n${images(`v2.50.0@${D("9")}`)}`;
  const monitored = () => app({ "environments/staging.yaml": staging, "environments/prod.yaml": prod });

  it("promotes the application's services only: the set's images are settings, and no release: entry is written for them", () => {
    const dir = monitored();
    const r = promote(dir, "--format", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).services.map((s: { service: string }) => s.service)).toEqual(["api", "worker"]);
    const after = prodOf(dir);
    expect(after).not.toMatch(/^\s+(prometheus|alertmanager|grafana|cadvisor): "v/m);
    expect(after).toContain(`prometheus: "docker.io/prom/prometheus:v2.50.0@${D("9")}"`);
  });

  it("refuses a monitoring service named on the command line, at its monitoring.images line, saying what to change", () => {
    const dir = monitored();
    const r = promote(dir, "prometheus");
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `${path.join(dir, "environments", "prod.yaml")}:12: monitoring.images.prometheus: "prometheus" is part of "staging"'s monitoring set, whose image is monitoring.images.prometheus, not a release; change monitoring.images.prometheus in ${path.join(dir, "environments", "prod.yaml")} (or the file it extends) to the image "staging" runs, and promote only the application's services (api, worker)`,
    );
    expect(prodOf(dir)).toBe(prod);
  });

  it("refuses a monitoring service named for a target that runs no monitoring set, at the source's image, saying there is nothing to promote", () => {
    const dir = app({ "environments/staging.yaml": staging });
    const r = promote(dir, "grafana");
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${path.join(dir, "environments", "staging.yaml")}:12: monitoring.images.grafana: "grafana" is part of "staging"'s monitoring set (its image is monitoring.images.grafana), not a release, and "prod" runs no grafana: there is nothing to promote; promote only the application's services (api, worker)`);
    expect(prodOf(dir)).toBe(PROD);
  });

  it("ENVK-REL-001 names a monitoring image that never ran in the source at monitoring.images.<role>, not at a release: line that does not exist", () => {
    const dir = monitored();
    const r = cli("validate", "--config", dir);
    expect(r.err).toMatch(new RegExp(`environments/prod\\.yaml:12: warning: monitoring\\.images\\.prometheus: \\[ENVK-REL-001\\] "prometheus" release "v2\\.50\\.0@sha256:9{64}" never ran in "staging"`));
    expect(r.err).not.toMatch(/release\.(prometheus|alertmanager|grafana|cadvisor)/);
  });
});

describe("envkit promote: atomic write", () => {
  it("leaves the old bytes and no temporary file when the rename fails", () => {
    const dir = app();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeFs = require("node:fs") as typeof fs;
    const spy = jest.spyOn(nodeFs, "renameSync").mockImplementation(() => {
      throw Object.assign(new Error("EIO: i/o error, rename"), { code: "EIO", syscall: "rename", path: path.join(dir, "environments", "prod.yaml") });
    });
    try {
      const r = promote(dir);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/environments\/prod\.yaml: an input\/output error occurred; it still holds its old content/);
    } finally {
      spy.mockRestore();
    }
    expect(prodOf(dir)).toBe(PROD);
    expect(fs.readdirSync(path.join(dir, "environments")).sort()).toEqual(["prod.yaml", "staging.yaml"]);
  });

  it("refuses to overwrite a file changed between reading and writing", () => {
    const dir = app();
    const file = path.join(dir, "environments", "prod.yaml");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeFs = require("node:fs") as typeof fs;
    const real = nodeFs.fsyncSync;
    const spy = jest.spyOn(nodeFs, "fsyncSync").mockImplementation((fd) => {
      real(fd);
      fs.appendFileSync(file, "# someone else\n");
    });
    try {
      const r = promote(dir);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/prod\.yaml: changed while envkit was updating it/);
    } finally {
      spy.mockRestore();
    }
    expect(prodOf(dir)).toBe(`${PROD}# someone else\n`);
    expect(fs.readdirSync(path.join(dir, "environments")).sort()).toEqual(["prod.yaml", "staging.yaml"]);
  });
});
