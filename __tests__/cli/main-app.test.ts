import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { copyReferenceApp, edit } from "../helpers";

/* main.ts is the cdktf app behind `npx cdktf synth/diff/deploy` (cdktf.json runs dist/main.js). */
const MAIN = path.join(__dirname, "..", "..", "dist", "main.js");

function runMain(env: Record<string, string>): { code: number; out: string; err: string } {
  try {
    const out = execFileSync(process.execPath, [MAIN], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    return { code: 0, out, err: "" };
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return { code: x.status, out: x.stdout, err: x.stderr };
  }
}

describe("main.ts (the cdktf app)", () => {
  it("synthesizes one stack per environment of the reference app into CDKTF_OUTDIR", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-main-")), "cdktf.out");
    const r = runMain({ CDKTF_OUTDIR: out });
    expect(r.code).toBe(0);
    expect(fs.readdirSync(path.join(out, "stacks")).sort()).toEqual(["dev", "prod", "staging", "swarm", "test"]);
    expect(fs.existsSync(path.join(out, "stacks", "prod", "envkit-model.json"))).toBe(true);
  });

  it("synthesizes the application in ENVKIT_CONFIG (the minimal example)", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-main-")), "cdktf.out");
    const r = runMain({ CDKTF_OUTDIR: out, ENVKIT_CONFIG: path.join(__dirname, "..", "..", "examples", "minimal") });
    expect(r.code).toBe(0);
    const json = JSON.parse(fs.readFileSync(path.join(out, "stacks", "dev", "cdk.tf.json"), "utf8"));
    // Rolling (the default): the public web's container carries a replacement hash and the envkit proxy publishes its port.
    const names = Object.values(json.resource.docker_container as Record<string, { name: string }>).map((c) => c.name).sort();
    expect(names).toEqual([expect.stringMatching(/^hello-dev-proxy$/), expect.stringMatching(/^hello-dev-proxy-config-[0-9a-f]+$/), expect.stringMatching(/^hello-dev-web-[0-9a-f]{8}-1$/)]);
  });

  it("exits 1 on a mandatory finding only the synthesized JSON shows, before anything is written", () => {
    const app = copyReferenceApp();
    edit(path.join(app, "environments", "prod.yaml"), "  worker:\n    replicas: 2\n", "  worker:\n    replicas: 2\n    security: { privileged: true }\n");
    // A namespace that admits privileged pods, so the guardrail (not Pod Security admission) refuses it.
    edit(path.join(app, "environments", "prod.yaml"), "kubernetes:\n  context: prod\n", "kubernetes:\n  context: prod\n  podSecurity: privileged\n");
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-main-")), "cdktf.out");
    const r = runMain({ CDKTF_OUTDIR: out, ENVKIT_CONFIG: app });
    expect(r.code).toBe(1);
    // Located at the YAML line that caused it, naming the resource the JSON pass saw.
    expect(r.err).toMatch(/environments\/prod\.yaml:\d+: services\.worker\.security\.privileged: \[ENVK-SEC-004\] runs privileged \(in kubernetes_deployment_v1\.\S+\)/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it("leaves Terraform's working files in an existing output alone (cdktf overwrites stack files in place)", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-main-")), "cdktf.out");
    fs.mkdirSync(path.join(out, "stacks", "prod", ".terraform"), { recursive: true });
    fs.writeFileSync(path.join(out, "stacks", "prod", ".terraform", "marker"), "providers");
    expect(runMain({ CDKTF_OUTDIR: out }).code).toBe(0);
    expect(fs.readFileSync(path.join(out, "stacks", "prod", ".terraform", "marker"), "utf8")).toBe("providers");
  });

  it("refuses an ENVKIT_CONFIG inside CDKTF_OUTDIR (cdktf would write stacks/ into the application), and reads an empty ENVKIT_CONFIG as unset", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-main-")), "cdktf.out");
    const app = path.join(out, "app");
    fs.cpSync(path.join(__dirname, "..", "..", "examples", "minimal"), app, { recursive: true });
    const r = runMain({ CDKTF_OUTDIR: out, ENVKIT_CONFIG: app });
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe(`${app}: ENVKIT_CONFIG: is inside the output folder ${out} (CDKTF_OUTDIR), where cdktf writes stacks/ and manifest.json; keep the application folder outside it`);
    expect(fs.readdirSync(out)).toEqual(["app"]);
    const empty = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-main-")), "cdktf.out");
    expect(runMain({ CDKTF_OUTDIR: empty, ENVKIT_CONFIG: "" }).code).toBe(0);
    expect(fs.readdirSync(path.join(empty, "stacks")).sort()).toEqual(["dev", "prod", "staging", "swarm", "test"]);
  });

  it("exits 1 with every error when the configuration is invalid, writing nothing", () => {
    const app = copyReferenceApp();
    edit(path.join(app, "app.yaml"), "name: shop", "name: Shop");
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-main-")), "cdktf.out");
    const r = runMain({ CDKTF_OUTDIR: out, ENVKIT_CONFIG: app });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/app\.yaml:\d+: name: "Shop" is not a DNS-1123 label/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
