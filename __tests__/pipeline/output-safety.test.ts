/*
 * Nothing is lost: `envkit synth` replaces its output folder whole, so nothing Terraform or a
 * person keeps must live there unguarded — state is refused, `.terraform/` and the lock file are
 * carried over, what killed synths leave behind is cleaned up (never a running synth's), and an
 * unwritable folder is a located error with the previous output intact.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatIssue } from "../../lib/errors";
import { removeStaleTemporaries } from "../../lib/pipeline";
import { cli, dockerEnv, miniApp, resolve, snapshot } from "../helpers";

const MINIMAL = path.join(__dirname, "..", "..", "examples", "minimal");
// The module object itself (a namespace import is read-only): spies on it reach the pipeline too.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realFs = require("node:fs") as typeof fs;
const tmp = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** A copy of the minimal example whose dev environment has `extra` appended. */
function minimalWith(extra = ""): string {
  const dir = tmp("envkit-safe-app-");
  fs.cpSync(MINIMAL, dir, { recursive: true });
  if (extra) fs.appendFileSync(path.join(dir, "environments", "dev.yaml"), `${extra}\n`);
  return dir;
}


/** A state file at `at` (under a previous output) refuses the synth, which leaves the output as it was. */
function expectStateKept(at: readonly string[]): void {
  const { out } = previousOutput();
  const state = path.join(out, ...at);
  fs.mkdirSync(path.dirname(state), { recursive: true });
  fs.writeFileSync(state, '{"version":4}');
  const before = snapshot(out);
  const r = cli("synth", "--config", MINIMAL, "--out", out);
  expect(r.code).toBe(1);
  expect(r.err).toContain(`${state}: a Terraform state file is inside the output folder, which envkit synth replaces whole; move it out of ${out}`);
  expect(snapshot(out)).toEqual(before);
}

/** A previous output of the minimal app in `<parent>/out`, with Terraform's working files added. */
function previousOutput(): { out: string; parent: string } {
  const parent = tmp("envkit-safe-out-");
  const out = path.join(parent, "out");
  expect(cli("synth", "--config", MINIMAL, "--out", out).code).toBe(0);
  const stack = path.join(out, "stacks", "dev");
  fs.mkdirSync(path.join(stack, ".terraform", "providers"), { recursive: true });
  fs.writeFileSync(path.join(stack, ".terraform", "providers", "marker"), "provider binary");
  fs.writeFileSync(path.join(stack, ".terraform", "terraform.tfstate"), '{"backend":{}}'); // backend settings, not state
  fs.writeFileSync(path.join(stack, ".terraform.lock.hcl"), "# lock");
  fs.writeFileSync(path.join(stack, "plan"), "saved plan");
  return { out, parent };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  return r.pid!;
}


/** `envkit synth` of the minimal app into `out` with one fs function replaced (root ignores permission bits, so refusals are injected). */
function synthWith<K extends "renameSync" | "mkdirSync">(fn: K, impl: (...args: Parameters<(typeof realFs)[K]>) => ReturnType<(typeof realFs)[K]>, out: string): ReturnType<typeof cli> {
  const spy = jest.spyOn(realFs, fn).mockImplementation(impl as never);
  try {
    return cli("synth", "--config", MINIMAL, "--out", out);
  } finally {
    spy.mockRestore();
  }
}

describe("local state inside the output folder is refused", () => {
  it.each([
    ["a bare file name (lands in <out>/stacks/dev/)", "state.tfstate"],
    ["a ./ path", "./state.tfstate"],
    ["one level up (<out>/stacks/)", "../state.tfstate"],
    ["two levels up (<out>/)", "../../state.tfstate"],
    ["a path that climbs back in", "a/../../../state.tfstate"],
    ["a stacks/ detour", "stacks/../../../x.tfstate"],
    ["an empty path (Terraform's default terraform.tfstate in the stack folder)", ""],
  ])("at validate time: %s", (_name, value) => {
    const r = resolve(miniApp(), { dev: dockerEnv({ backend: { type: "local", path: value } }) });
    const issue = r.issues.find((i) => i.path === "backend.path");
    expect(issue && formatIssue(issue)).toBe(
      `<environment dev>: backend.path: ${JSON.stringify(value)} puts the Terraform state inside the output folder (the path is relative to <out>/stacks/dev/); the next envkit synth replaces the output folder, deleting the state. Use a path that leaves it, such as "../../../terraform.dev.tfstate" (the default: next to the output folder), or a remote backend`,
    );
    expect(issue!.severity).not.toBe("warning");
  });

  it.each(["../../../terraform.dev.tfstate", "../../../state/dev.tfstate", "../../../x/../../state.tfstate", "/var/lib/envkit/dev.tfstate"])("accepts %s at validate time", (value) => {
    const r = resolve(miniApp(), { dev: dockerEnv({ backend: { type: "local", path: value } }) });
    expect(r.issues.filter((i) => i.path === "backend.path")).toEqual([]);
  });

  it("names the file and line of backend.path in a YAML application", () => {
    const r = cli("validate", "--config", minimalWith('backend: { type: local, path: "state.tfstate" }'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/environments\/dev\.yaml:\d+: backend\.path: "state\.tfstate" puts the Terraform state inside the output folder/);
  });

  it.each<[string, (out: string) => string, (out: string) => string]>([
    ["an absolute path inside --out", (out) => path.join(out, "state", "dev.tfstate"), (out) => path.join(out, "state", "dev.tfstate")],
    ["a relative path that climbs out and back into --out by name", () => "../../../out/dev.tfstate", (out) => path.join(out, "dev.tfstate")],
  ])("at synth time: %s, writing nothing", (_name, pick, resolved) => {
    const { out } = previousOutput();
    const before = snapshot(out);
    const value = pick(out);
    const r = cli("synth", "--config", minimalWith(`backend: { type: local, path: ${JSON.stringify(value)} }`), "--out", out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/environments\/dev\.yaml:\d+: backend\.path: /);
    expect(r.err).toContain(`backend.path: ${JSON.stringify(value)} puts the Terraform state inside the output folder (it resolves to ${resolved(out)}); the next envkit synth replaces the output folder, deleting the state`);
    expect(snapshot(out)).toEqual(before);
  });

  it.each(["state.tfstate", "../dev/terraform.tfstate"])("reports %s once in envkit synth (the validate-time message), not again resolved against --out", (value) => {
    const { out } = previousOutput();
    const r = cli("synth", "--config", minimalWith(`backend: { type: local, path: ${JSON.stringify(value)} }`), "--out", out);
    expect(r.code).toBe(1);
    const lines = r.err.split("\n").filter((l) => /backend\.path: /.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/environments\/dev\.yaml:\d+: backend\.path: .* puts the Terraform state inside the output folder \(the path is relative to <out>\/stacks\/dev\/\)/);
  });

  it("refuses to replace a previous output that holds a state file, and keeps the file", () => {
    expectStateKept(["stacks", "dev", "terraform.tfstate"]);
  });
});

describe("Terraform's working files survive a synth", () => {
  it("moves .terraform/ and .terraform.lock.hcl into the new output (by rename), and drops saved plans", () => {
    const { out, parent } = previousOutput();
    const stack = path.join(out, "stacks", "dev");
    const inode = fs.statSync(path.join(stack, ".terraform", "providers", "marker")).ino;
    fs.writeFileSync(path.join(stack, "cdk.tf.json"), "stale");
    expect(cli("synth", "--config", MINIMAL, "--out", out).code).toBe(0);
    expect(fs.readFileSync(path.join(stack, ".terraform", "providers", "marker"), "utf8")).toBe("provider binary");
    expect(fs.statSync(path.join(stack, ".terraform", "providers", "marker")).ino).toBe(inode);
    expect(fs.readFileSync(path.join(stack, ".terraform", "terraform.tfstate"), "utf8")).toBe('{"backend":{}}');
    expect(fs.readFileSync(path.join(stack, ".terraform.lock.hcl"), "utf8")).toBe("# lock");
    expect(fs.existsSync(path.join(stack, "plan"))).toBe(false);
    expect(fs.readFileSync(path.join(stack, "cdk.tf.json"), "utf8")).not.toBe("stale");
    expect(fs.readdirSync(parent)).toEqual(["out"]);
  });

  it("carries the state of non-default workspaces over (terraform.tfstate.d/<workspace>/, where `terraform workspace new` puts it with a local backend)", () => {
    // Before, a second synth deleted it with the folder: the state check looked at *.tfstate only (found from outside).
    const { out } = previousOutput();
    const workspace = path.join(out, "stacks", "dev", "terraform.tfstate.d", "feature");
    fs.mkdirSync(workspace, { recursive: true });
    fs.writeFileSync(path.join(workspace, "terraform.tfstate"), '{"version":4,"serial":7}');
    const r = cli("synth", "--config", MINIMAL, "--out", out);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: expect.not.stringContaining("state") });
    expect(fs.readFileSync(path.join(workspace, "terraform.tfstate"), "utf8")).toBe('{"version":4,"serial":7}');
  });

  it("refuses to drop the workspaces' state of a stack it no longer writes (an environment removed), and keeps it", () => {
    expectStateKept(["stacks", "old", "terraform.tfstate.d", "feature", "terraform.tfstate"]);
  });

  it("does not name an invalid environment's workspace state as a dropped stack's (nothing is written then either)", () => {
    const { out } = previousOutput();
    const state = path.join(out, "stacks", "dev", "terraform.tfstate.d", "w", "terraform.tfstate");
    fs.mkdirSync(path.dirname(state), { recursive: true });
    fs.writeFileSync(state, '{"version":4}');
    const r = cli("synth", "--config", minimalWith("replicas: -1"), "--out", out);
    expect(r.code).toBe(1);
    expect(r.err).not.toContain("a Terraform state file is inside the output folder");
    expect(fs.existsSync(state)).toBe(true);
  });

  it("puts them back, with the whole previous output, when the swap fails", () => {
    const { out, parent } = previousOutput();
    const before = snapshot(out);
    const real = fs.renameSync;
    const r = synthWith("renameSync", (from, to) => {
      if (String(to) === out && path.basename(String(from)).startsWith(".envkit-tmp-") && !String(from).endsWith("-previous")) throw Object.assign(new Error(`EACCES: permission denied, rename '${String(from)}' -> '${String(to)}'`), { code: "EACCES", syscall: "rename", path: String(from) });
      real(from, to);
    }, out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/: --out: cannot write the output \(replacing the previous output\): EACCES in rename; make \S+ writable, or choose another --out/);
    expect(snapshot(out)).toEqual(before);
    expect(fs.readdirSync(parent)).toEqual(["out"]);
  });
});

describe("what killed synths leave behind", () => {
  it("removes a temporary folder whose synth is dead, and keeps one of a running synth", () => {
    const { out, parent } = previousOutput();
    const dead = path.join(parent, `.envkit-tmp-out-${deadPid()}-aB3xYz`);
    const live = path.join(parent, `.envkit-tmp-out-${process.pid}-Qw9eRt`);
    const otherOutput = path.join(parent, `.envkit-tmp-other-${deadPid()}-aB3xYz`);
    for (const d of [dead, live, otherOutput]) fs.mkdirSync(path.join(d, "stacks"), { recursive: true });
    expect(cli("synth", "--config", MINIMAL, "--out", out).code).toBe(0);
    expect(fs.readdirSync(parent).sort()).toEqual([path.basename(otherOutput), path.basename(live), "out"].sort());
  });

  it("puts back a previous output that a synth killed mid-swap had set aside", () => {
    const { out, parent } = previousOutput();
    const setAside = path.join(parent, `.envkit-tmp-out-${deadPid()}-aB3xYz-previous`);
    fs.renameSync(out, setAside);
    expect(cli("synth", "--config", MINIMAL, "--out", out).code).toBe(0);
    // Restored first, so its .terraform/ was carried into the new output.
    expect(fs.readFileSync(path.join(out, "stacks", "dev", ".terraform", "providers", "marker"), "utf8")).toBe("provider binary");
    expect(fs.readdirSync(parent)).toEqual(["out"]);
  });

  it("leaves everything alone when the killed synth's process is alive", () => {
    const parent = tmp("envkit-safe-live-");
    const name = `.envkit-tmp-out-${process.pid}-aB3xYz-previous`;
    fs.mkdirSync(path.join(parent, name));
    expect(removeStaleTemporaries(path.join(parent, "out"))).toEqual([]);
    expect(fs.readdirSync(parent)).toEqual([name]);
  });
});

describe("an unwritable output folder is a located error, not a crash", () => {
  it("reports a --out whose parent is a file", () => {
    const file = path.join(tmp("envkit-safe-file-"), "not-a-folder");
    fs.writeFileSync(file, "mine");
    const r = cli("synth", "--config", MINIMAL, "--out", path.join(file, "out"));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}: --out: cannot write the output (creating a temporary folder next to it): EEXIST in mkdir; a file is in the way of a folder on ${file}; remove it, or choose another --out`);
    expect(r.err).toContain(`synth failed; ${path.join(file, "out")} was not changed`);
    expect(fs.readFileSync(file, "utf8")).toBe("mine");
  });

  it("reports a permission error creating the temporary folder, leaving the previous output intact", () => {
    const { out, parent } = previousOutput();
    const before = snapshot(out);
    // Root ignores permission bits, so the refusal is injected where the real one would occur.
    const mkdir = realFs.mkdirSync.bind(realFs);
    const r = synthWith("mkdirSync", (dir, opts) => {
      if (!String(dir).includes(".envkit-tmp-")) return mkdir(dir, opts) as never;
      throw Object.assign(new Error(`EACCES: permission denied, mkdir '${String(dir)}'`), { code: "EACCES", syscall: "mkdir", path: String(dir) });
    }, out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`\\.envkit-tmp-out-${process.pid}-[A-Za-z0-9]{6}: --out: cannot write the output \\(creating a temporary folder next to it\\): EACCES in mkdir; make ${parent.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} writable, or choose another --out`));
    expect(r.err).toContain(`synth failed; ${out} was not changed`);
    expect(snapshot(out)).toEqual(before);
  });

  (process.getuid?.() === 0 ? it.skip : it)("reports a read-only parent folder (skipped as root, which ignores permission bits)", () => {
    const { out, parent } = previousOutput();
    const before = snapshot(out);
    fs.chmodSync(parent, 0o555);
    try {
      const r = cli("synth", "--config", MINIMAL, "--out", out);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/--out: cannot write the output \(creating a temporary folder next to it\): EACCES in mkdir; make .* writable/);
      expect(snapshot(out)).toEqual(before);
    } finally {
      fs.chmodSync(parent, 0o755);
    }
  });
});

describe("the output folder is an ordinary folder where --out says", () => {
  it("gets the mode any new folder gets (0777 less the umask), not a temporary folder's 0700", () => {
    const previous = process.umask(0o027);
    try {
      const out = path.join(tmp("envkit-safe-mode-"), "out");
      expect(cli("synth", "--config", MINIMAL, "--out", out).code).toBe(0);
      expect(fs.statSync(out).mode & 0o777).toBe(0o750);
      // Replacing a previous output gives the new one the same mode.
      process.umask(0o022);
      expect(cli("synth", "--config", MINIMAL, "--out", out).code).toBe(0);
      expect(fs.statSync(out).mode & 0o777).toBe(0o755);
    } finally {
      process.umask(previous);
    }
  });

  it("a symbolic link stays one: the folder it leads to holds the output, on the first synth and the next", () => {
    const parent = tmp("envkit-safe-link-");
    const real = path.join(parent, "real-out");
    fs.mkdirSync(real);
    const link = path.join(parent, "out");
    fs.symlinkSync("real-out", link);
    for (let round = 0; round < 2; round++) {
      const r = cli("synth", "--config", MINIMAL, "--out", link);
      expect(r).toMatchObject({ code: 0, err: "" });
      expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
      expect(fs.readlinkSync(link)).toBe("real-out");
      expect(fs.existsSync(path.join(real, "stacks", "dev", "cdk.tf.json"))).toBe(true);
    }
    // Nothing is left beside either: no temporary or set-aside folder.
    expect(fs.readdirSync(parent).sort()).toEqual(["out", "real-out"]);
  });

  it("a symbolic link to a path not there yet makes the folder there; a loop, or a link whose folder does not exist, is refused in words", () => {
    const parent = tmp("envkit-safe-link-");
    const fresh = path.join(parent, "fresh");
    fs.symlinkSync("made-by-synth", fresh);
    expect(cli("synth", "--config", MINIMAL, "--out", fresh)).toMatchObject({ code: 0, err: "" });
    expect(fs.readlinkSync(fresh)).toBe("made-by-synth");
    expect(fs.existsSync(path.join(parent, "made-by-synth", "stacks", "dev", "cdk.tf.json"))).toBe(true);
    const nowhere = path.join(parent, "nowhere");
    fs.symlinkSync("no-such-folder/out", nowhere);
    const r = cli("synth", "--config", MINIMAL, "--out", nowhere);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`${nowhere}: refusing to write the output here: it is a symbolic link leading to ${path.join(parent, "no-such-folder", "out")}, whose folder ${path.join(parent, "no-such-folder")} is not a folder that exists; point the link at a folder, or choose another --out`);
    const a = path.join(parent, "a");
    fs.symlinkSync("b", a);
    fs.symlinkSync("a", path.join(parent, "b"));
    const loop = cli("synth", "--config", MINIMAL, "--out", a);
    expect(loop.code).toBe(1);
    expect(loop.err).toBe(`${a}: refusing to write the output here: it is a symbolic link that leads round in a loop; point it at a folder, or choose another --out`);
    expect(fs.readdirSync(parent).sort()).toEqual(["a", "b", "fresh", "made-by-synth", "nowhere"]);
  });

  it("through a link, the application folder inside the output is still refused, and nothing is removed (it was deleted)", () => {
    const parent = tmp("envkit-safe-link-");
    const real = path.join(parent, "O");
    expect(cli("synth", "--config", MINIMAL, "--out", real).code).toBe(0);
    fs.cpSync(MINIMAL, path.join(real, "app"), { recursive: true });
    const link = path.join(parent, "linkO");
    fs.symlinkSync("O", link);
    const r = cli("synth", "--config", path.join(link, "app"), "--out", link);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`refusing to write the output here: it contains the application folder ${path.join(link, "app")}`);
    expect(fs.existsSync(path.join(real, "app", "app.yaml"))).toBe(true);
  });

  it("through a link, a local state path inside the output is still refused (it was deleted by the next synth)", () => {
    const parent = tmp("envkit-safe-link-");
    fs.mkdirSync(path.join(parent, "real1"));
    const link = path.join(parent, "link1");
    fs.symlinkSync("real1", link);
    for (const [out, state] of [[link, path.join(link, "state", "dev.tfstate")], [path.join(parent, "real1"), path.join(link, "state", "dev.tfstate")], [link, path.join(parent, "real1", "state", "dev.tfstate")]]) {
      const app = minimalWith(`backend:\n  type: local\n  path: ${state}`);
      const r = cli("synth", "--config", app, "--out", out);
      expect(r.code).toBe(1);
      expect(r.err).toContain("backend.path");
      expect(r.err).toMatch(/inside the output folder|puts the Terraform state inside/);
    }
  });

  it("through a link, the previous output a synth killed mid-swap had set aside is put back, then replaced", () => {
    const parent = tmp("envkit-safe-link-");
    const real = path.join(parent, "real");
    expect(cli("synth", "--config", MINIMAL, "--out", real).code).toBe(0);
    fs.mkdirSync(path.join(real, "stacks", "dev", ".terraform"));
    fs.writeFileSync(path.join(real, "stacks", "dev", ".terraform", "marker"), "kept");
    const link = path.join(parent, "out");
    fs.symlinkSync("real", link);
    // Killed between its two renames: the link dangles, the output waits beside its place.
    fs.renameSync(real, path.join(parent, `.envkit-tmp-real-${deadPid()}-aB3xYz-previous`));
    expect(cli("synth", "--config", MINIMAL, "--out", link)).toMatchObject({ code: 0, err: "" });
    expect(fs.readFileSync(path.join(real, "stacks", "dev", ".terraform", "marker"), "utf8")).toBe("kept");
    expect(fs.readdirSync(parent).sort()).toEqual(["out", "real"]);
  });
});

describe("the folder checked is the folder replaced (links before `..`, as the kernel walks a path)", () => {
  it("--out L/../O2, L a link, is judged beside L's target: a foreign folder there is refused, not deleted", () => {
    const root = tmp("envkit-safe-dotdot-");
    fs.mkdirSync(path.join(root, "P", "stacks"), { recursive: true });
    fs.mkdirSync(path.join(root, "P", "O2"));
    fs.writeFileSync(path.join(root, "P", "O2", "precious.txt"), "mine");
    fs.mkdirSync(path.join(root, "cwd", "sub"), { recursive: true });
    fs.symlinkSync("../../P/stacks", path.join(root, "cwd", "sub", "L"));
    const before = process.cwd();
    process.chdir(path.join(root, "cwd"));
    try {
      const r = cli("synth", "--config", MINIMAL, "--out", "sub/L/../O2");
      expect(r.code).toBe(1);
      expect(r.err).toContain("is not empty and is not a synthesized output");
    } finally {
      process.chdir(before);
    }
    expect(fs.readFileSync(path.join(root, "P", "O2", "precious.txt"), "utf8")).toBe("mine");
  });

  it("a backend.path through a link and `..` into the output is refused; a state file in <out>/stacks/ is found", () => {
    const parent = tmp("envkit-safe-dotdot-");
    const out = path.join(parent, "O");
    expect(cli("synth", "--config", MINIMAL, "--out", out).code).toBe(0);
    fs.symlinkSync(path.join("O", "stacks"), path.join(parent, "L"));
    const app = minimalWith("backend:\n  type: local\n  path: ../../../L/../stacks/terraform.tfstate");
    const r = cli("synth", "--config", app, "--out", out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/backend\.path/);
    fs.writeFileSync(path.join(out, "stacks", "terraform.tfstate"), '{"version":4}');
    const again = cli("synth", "--config", MINIMAL, "--out", out);
    expect(again.code).toBe(1);
    expect(again.err).toContain(`${path.join(out, "stacks", "terraform.tfstate")}: a Terraform state file is inside the output folder`);
    expect(fs.existsSync(path.join(out, "stacks", "terraform.tfstate"))).toBe(true);
  });
});

describe("a synth killed mid-swap, and two synths at once, lose nothing Terraform keeps", () => {
  it("puts back the Terraform files a killed swap had moved into its new output, with the set-aside output or without", () => {
    for (const setAside of [true, false]) {
      const { out, parent } = previousOutput();
      const dead = deadPid();
      const tmpOut = path.join(parent, `.envkit-tmp-out-${dead}-aB3xYz`);
      fs.mkdirSync(path.join(tmpOut, "stacks", "dev"), { recursive: true });
      // swapIn moved .terraform/ and the lock file first; with setAside, it then renamed the output aside.
      for (const name of [".terraform", ".terraform.lock.hcl"]) fs.renameSync(path.join(out, "stacks", "dev", name), path.join(tmpOut, "stacks", "dev", name));
      if (setAside) fs.renameSync(out, `${tmpOut}-previous`);
      expect(cli("synth", "--config", MINIMAL, "--out", out).code).toBe(0);
      expect(fs.readFileSync(path.join(out, "stacks", "dev", ".terraform", "providers", "marker"), "utf8")).toBe("provider binary");
      expect(fs.readFileSync(path.join(out, "stacks", "dev", ".terraform.lock.hcl"), "utf8")).toBe("# lock");
      expect(fs.readdirSync(parent)).toEqual(["out"]);
    }
  });

  it("refuses while another live synth holds the output's lock, and takes over a dead one's", () => {
    const { out, parent } = previousOutput();
    const lock = path.join(parent, ".envkit-tmp-out.lock");
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"]);
    try {
      fs.writeFileSync(lock, `${sleeper.pid}\n`);
      const before = snapshot(out);
      const r = cli("synth", "--config", MINIMAL, "--out", out);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`${out}: --out: another envkit synth (pid ${sleeper.pid}) is writing this output; wait for it to finish and synth again (if no synth runs, remove ${lock})`);
      expect(snapshot(out)).toEqual(before);
    } finally {
      sleeper.kill();
    }
    fs.writeFileSync(lock, `${deadPid()}\n`);
    expect(cli("synth", "--config", MINIMAL, "--out", out).code).toBe(0);
    expect(fs.readdirSync(parent)).toEqual(["out"]);
  });

  it("does not replace a folder of someone's own that appeared at --out while envkit wrote", () => {
    const parent = tmp("envkit-safe-race-");
    const out = path.join(parent, "out");
    const mkdir = realFs.mkdirSync.bind(realFs);
    const r = synthWith("mkdirSync", (dir, opts) => {
      const made = mkdir(dir, opts);
      // Right after the temporary folder is made, someone creates the output folder with a file.
      if (String(dir).includes(".envkit-tmp-") && !fs.existsSync(out)) {
        mkdir(out);
        fs.writeFileSync(path.join(out, "precious.txt"), "mine");
      }
      return made as never;
    }, out);
    expect(r.code).toBe(1);
    expect(r.err).toContain("while envkit wrote, it became a folder that is not a synthesized output");
    expect(fs.readFileSync(path.join(out, "precious.txt"), "utf8")).toBe("mine");
    expect(fs.readdirSync(parent)).toEqual(["out"]);
  });
});

describe("from a final outside re-check", () => {
  it("a backend.path with backslashes is one file name on Linux, inside the stack folder: refused", () => {
    const r = cli("synth", "--config", minimalWith("backend:\n  type: local\n  path: '..\\..\\..\\state.json'"), "--out", path.join(tmp("envkit-safe-bs-"), "out"));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/backend\.path/);
  });

  it("a workspace that appeared in the output since the kill does not cost the moved one its state: kept beside it", () => {
    const { out, parent } = previousOutput();
    const tmpOut = path.join(parent, `.envkit-tmp-out-${deadPid()}-aB3xYz`);
    const moved = path.join(tmpOut, "stacks", "dev", "terraform.tfstate.d", "ws1");
    fs.mkdirSync(moved, { recursive: true });
    fs.writeFileSync(path.join(moved, "terraform.tfstate"), '{"version":4,"ws":1}');
    fs.mkdirSync(path.join(out, "stacks", "dev", "terraform.tfstate.d", "ws2"), { recursive: true });
    expect(cli("synth", "--config", MINIMAL, "--out", out).code).toBe(0);
    // Merged back: both workspaces, carried into the new output.
    expect(fs.readFileSync(path.join(out, "stacks", "dev", "terraform.tfstate.d", "ws1", "terraform.tfstate"), "utf8")).toBe('{"version":4,"ws":1}');
    expect(fs.existsSync(path.join(out, "stacks", "dev", "terraform.tfstate.d", "ws2"))).toBe(true);
    expect(fs.readdirSync(parent)).toEqual(["out"]);
    // The same workspace on both sides cannot be merged: the killed synth's folder is kept, with it.
    const again = path.join(parent, `.envkit-tmp-out-${deadPid()}-cD4eFg`);
    fs.mkdirSync(path.join(again, "stacks", "dev", "terraform.tfstate.d", "ws1"), { recursive: true });
    fs.writeFileSync(path.join(again, "stacks", "dev", "terraform.tfstate.d", "ws1", "terraform.tfstate"), '{"version":4,"other":true}');
    expect(cli("synth", "--config", MINIMAL, "--out", out).code).toBe(0);
    expect(fs.readFileSync(path.join(again, "stacks", "dev", "terraform.tfstate.d", "ws1", "terraform.tfstate"), "utf8")).toBe('{"version":4,"other":true}');
  });

  it("a lock is never seen without its pid: an empty or junk lock is taken over, a live one refuses", () => {
    const { out, parent } = previousOutput();
    const lock = path.join(parent, ".envkit-tmp-out.lock");
    for (const junk of ["", "not a pid\n"]) {
      fs.writeFileSync(lock, junk);
      expect(cli("synth", "--config", MINIMAL, "--out", out).code).toBe(0);
      expect(fs.existsSync(lock)).toBe(false);
    }
    expect(fs.readdirSync(parent)).toEqual(["out"]);
  });
});
