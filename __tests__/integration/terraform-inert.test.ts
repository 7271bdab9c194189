import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as fc from "fast-check";
import { terraformLiteral } from "../../lib/targets/shared/terraform-literal";
import { liveOpeners, terraformNormalized, terraformStringValue } from "../security/hcl-template";
import { everywhere, hostileString, synthHostile } from "../security/hostile-fields";

/*
 * Real terraform evaluates the strings envkit emits for hostile input. A configuration of `output`
 * blocks only needs no provider, so `terraform init && terraform apply` runs offline; each output's
 * value is an emitted string exactly as written to cdk.tf.json, and must come back as the user's
 * input. The same run checks the reference unescaping that the property test (security/) uses as
 * its oracle, so that oracle is itself checked against Terraform. Skipped, loudly, without terraform.
 */
const version = spawnSync("terraform", ["version"], { encoding: "utf8" });
const available = !version.error && version.status === 0;
const reason = "SKIPPED: the terraform literal-string check needs the terraform binary on PATH (checked with terraform 1.11)";

if (!available) {
  // Say it out loud in every run, not only in verbose mode.
  process.stderr.write(`\n*** ${reason} ***\n\n`);
}

/** Inputs an attacker (or an unlucky user) writes into app.yaml. */
const HOSTILE = [
  '${file("/etc/passwd")}',
  "${path.cwd}",
  "%{if true}x%{endif}",
  "$${already}",
  "%%{already}",
  "$$${x}",
  "${var.db_password}",
  '%{ for f in fileset("/", "*") }${f}%{ endfor }',
  '${~ "x" ~}',
  'Grüße, 世界 😀 ${"ü"}',
  "C:\\path\\${x}\\n\\t\\\\",
  `say "hi" 'there' \${"q"}`,
  "line1\nline2\r\n${x}\t",
  "$",
  "%",
  "x$",
  "{}",
  "$}",
  "~}",
];

(available ? describe : describe.skip)(`terraform evaluates envkit's user strings as literals (${available ? version.stdout.split("\n")[0] : reason})`, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-tf-inert-"));
  // A clean environment: no plugin cache, no CLI config, no TF_VAR_*, no credentials.
  const cliConfig = path.join(work, "terraformrc");
  fs.writeFileSync(cliConfig, "");
  const env = { PATH: process.env.PATH ?? "", HOME: work, TMPDIR: os.tmpdir(), TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", TF_INPUT: "0", TF_CLI_CONFIG_FILE: cliConfig };
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  function terraform(dir: string, ...args: string[]): string {
    try {
      return execFileSync("terraform", args, { cwd: dir, env, encoding: "utf8", stdio: "pipe", maxBuffer: 64 * 1024 * 1024 });
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string };
      throw new Error(`terraform ${args.join(" ")} failed in ${dir}:\n${err.stderr ?? ""}${err.stdout ?? ""}`);
    }
  }

  /** Applies a cdk.tf.json of outputs (value = the given JSON value, exactly) and returns their values. */
  function applyOutputs(name: string, values: readonly unknown[], extra: Record<string, unknown> = {}): unknown[] {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    const output = Object.fromEntries(values.map((value, i) => [`o${i}`, { value }]));
    fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify({ ...extra, output }, null, 2));
    terraform(dir, "init", "-input=false", "-no-color");
    terraform(dir, "apply", "-auto-approve", "-input=false", "-no-color");
    const out = JSON.parse(terraform(dir, "output", "-json")) as Record<string, { value: unknown }>;
    return values.map((_, i) => out[`o${i}`].value);
  }

  it("every hostile string envkit emits, on Docker and Kubernetes and in every field, evaluates to exactly the input", () => {
    const cases = HOSTILE.flatMap((input) => synthHostile(everywhere(input)).emitted.map((e) => ({ input, ...e })));
    const values = applyOutputs("hostile", cases.map((c) => c.emitted));
    expect(cases.map((c, i) => ({ where: c.where, input: c.input, value: values[i] }))).toEqual(cases.map((c) => ({ where: c.where, input: c.input, value: c.intended })));
  });

  it("a hostile string envkit emits as a JSON object key (Docker tmpfs) evaluates to exactly the input", () => {
    const cases = HOSTILE.map((input) => ({ input, ...synthHostile(everywhere(input)).emitted.find((e) => e.where === "docker tmpfs key (writablePaths)")! }));
    const values = applyOutputs("keys", cases.map((c) => ({ [c.emitted]: "v" })));
    expect(values.map((v) => Object.keys(v as object))).toEqual(cases.map((c) => [c.intended]));
  });

  it("the property test's reference unescaping agrees with terraform on generated strings", () => {
    const generated = fc.sample(hostileString, { numRuns: 300, seed: 9 });
    // Escaped by envkit: the value is the input (after Terraform's own NFC and leading-BOM rules).
    const escaped = generated.map((s) => ({ template: terraformLiteral(s), expected: terraformNormalized(s) }));
    // Raw strings the reference model calls literal: its value for them, which differs from the text.
    const raw = generated.filter((s) => liveOpeners(s).length === 0).map((s) => ({ template: s, expected: terraformStringValue(s) }));
    // Strings it calls live really are evaluated.
    const live = [
      { template: 'a${"b"}c', expected: "abc" },
      { template: "%{ if true }y%{ endif }", expected: "y" },
      { template: '$$${"lit"}${"eral"}', expected: "$${\"lit\"}eral" },
      { template: '${"$"}{x}', expected: "${x}" },
    ].map((c) => {
      expect(liveOpeners(c.template).length).toBeGreaterThan(0);
      return c;
    });
    const cases = [...escaped, ...raw, ...live];
    expect(raw.length).toBeGreaterThan(50);
    const values = applyOutputs("oracle", cases.map((c) => c.template));
    expect(cases.map((c, i) => ({ template: c.template, value: values[i] }))).toEqual(cases.map((c) => ({ template: c.template, value: c.expected })));
  });

  it("terraform reads backend settings verbatim, never as templates (why configureBackend rejects rather than escapes)", () => {
    const file = "state-$${x}-${path.cwd}-%{if true}y%{endif}.tfstate";
    const dir = path.join(work, "backend");
    applyOutputs("backend", ["x"], { terraform: { backend: { local: { path: file } } } });
    expect(fs.readdirSync(dir)).toContain(file);
  });
});
