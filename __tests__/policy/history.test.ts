import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gitReleaseHistory } from "../../lib/policy/history";

const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd, stdio: "pipe" });

describe("release history from git", () => {
  it("collects every release an environment file held, across commits, renames and deletions", () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-hist-"));
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
    const h = gitReleaseHistory(app);
    expect(h.available).toBe(true);
    expect([...h.releasesOf("staging", "api")].sort()).toEqual(["1.0.0", "1.1.0", "1.2.0"]);
    expect([...h.releasesOf("qa", "api")]).toEqual(["0.9.0"]);
    expect([...h.releasesOf("prod", "api")]).toEqual([]);
  });

  it("is unavailable outside a git checkout", () => {
    expect(gitReleaseHistory(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-nogit-"))).available).toBe(false);
    expect(gitReleaseHistory(undefined).available).toBe(false);
  });
});
