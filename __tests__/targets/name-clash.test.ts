/*
 * A service or secret named like a construct envkit's environment makes itself (Docker's proxy,
 * Kubernetes' limit range, a Swarm database's backup, a secret's Terraform variable) is a located
 * error naming both and the fix, on every path (validate, synth): before, the constructs library's
 * "There is already a Construct with name …" ended validate and synth as an internal error (found
 * from outside, 2026-12-03).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { formatIssue } from "../../lib/errors";
import { checkDir } from "../../lib/pipeline";
import { cli, copyReferenceApp, filesOf } from "../helpers";

/** A copy of the reference app with every whole-word `from` renamed `to` in its YAML files. */
function renamed(from: string, to: string): string {
  const dir = copyReferenceApp();
  const files = ["app.yaml", "releases.yaml", ...fs.readdirSync(path.join(dir, "environments")).map((f) => path.join("environments", f))];
  for (const f of files) {
    const file = path.join(dir, f);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(new RegExp(`\\b${from}\\b`, "g"), to));
  }
  return dir;
}

/** The errors of a full check (configuration and stacks), with the folder's path cut off. */
const errorsOf = (dir: string): string[] =>
  checkDir(dir)
    .issues.filter((i) => i.severity !== "warning")
    .map((i) => formatIssue(i).split(`${dir}${path.sep}`).join(""));

describe("a service or secret named like one of envkit's own constructs", () => {
  it("Docker: a service named proxy, where the environment has its routing proxy (dev, test); elsewhere it is fine", () => {
    const errors = errorsOf(renamed("cache", "proxy"));
    expect(errors).toEqual([
      expect.stringMatching(/^environments\/dev\.yaml:\d+: services\.proxy: service "proxy" has a name that environment "dev" \(target docker\) also uses for a construct of envkit's own \(both would be dev\/docker\/proxy\); the two cannot share it: rename the service$/),
      expect.stringMatching(/^environments\/test\.yaml:\d+: services\.proxy: .*\(target docker\).*rename the service$/),
    ]);
  });

  it("Kubernetes: a service named limit-range (staging, prod)", () => {
    const errors = errorsOf(renamed("worker", "limit-range"));
    expect(errors).toHaveLength(2);
    for (const env of ["staging", "prod"]) {
      expect(errors).toContainEqual(expect.stringMatching(new RegExp(`^environments/${env}\\.yaml:\\d+: services\\.limit-range: service "limit-range" has a name that environment "${env}" \\(target kubernetes\\) also uses for a construct of envkit's own \\(both would be ${env}/kubernetes/limit-range\\); the two cannot share it: rename the service$`)));
    }
  });

  it("Swarm: a service named db-backup, where db has a backup", () => {
    // (On Kubernetes the same name is a name collision: __tests__/policy/name-collisions.test.ts.)
    const errors = errorsOf(renamed("worker", "db-backup")).filter((e) => e.startsWith("environments/swarm.yaml"));
    expect(errors).toEqual([expect.stringMatching(/^environments\/swarm\.yaml:\d+: services\.db-backup: service "db-backup" has a name that environment "swarm" \(target swarm\) also uses .*\(both would be swarm\/swarm\/db-backup\).*rename the service$/)]);
  });

  it("a secret named like a service: both are named, in every environment", () => {
    const dir = copyReferenceApp();
    const app = path.join(dir, "app.yaml");
    fs.writeFileSync(app, fs.readFileSync(app, "utf8").replace("secrets: [db_password, jwt_secret]", "secrets: [db_password, web]"));
    const errors = errorsOf(dir);
    expect(errors).toHaveLength(5);
    for (const e of errors) expect(e).toMatch(/^(app|environments\/\w+)\.yaml:\d+: services\.web: service "web" and the secret "web" \(of service "api"\) share a name, which in environment "\w+" \(target \w+\) is the id of both their constructs .*; rename the secret or the service$/);
  });

  it.each([
    ["provider", "a construct of envkit's own"],
    ["web", 'service "web"'],
  ])("a registry's passwordSecret named %s: at that setting, to rename the secret", (secret, holder) => {
    const dir = copyReferenceApp();
    const dev = path.join(dir, "environments", "dev.yaml");
    fs.appendFileSync(dev, `docker:\n  registryAuth:\n    - { address: ghcr.io, username: bot, passwordSecret: ${secret} }\n`);
    expect(errorsOf(dir).filter((e) => e.startsWith("environments/dev.yaml"))).toEqual([
      expect.stringMatching(new RegExp(`^environments/dev\\.yaml:\\d+: docker\\.registryAuth\\.0\\.passwordSecret: "${secret}" names a secret whose Terraform variable environment "dev" \\(target docker\\) declares under that name, which ${holder.replace(/"/g, '"')} has too \\(both would be dev/docker/${secret}\\); rename the secret$`)),
    ]);
  });

  it("envkit synth says so (exit 1, no internal error) and leaves the previous output as it was", () => {
    const good = copyReferenceApp();
    const out = path.join(fs.mkdtempSync(path.join(path.dirname(good), "envkit-clash-out-")), "out");
    expect(cli("synth", "--config", good, "--out", out).code).toBe(0);
    const before = filesOf(out);
    const r = cli("synth", "--config", renamed("cache", "proxy"), "--out", out);
    expect(r.code).toBe(1);
    expect(r.err).toContain('service "proxy" has a name that environment "dev" (target docker) also uses for a construct of envkit\'s own');
    expect(r.err).not.toMatch(/internal error|There is already a Construct/);
    expect(filesOf(out)).toEqual(before);
  });
});
