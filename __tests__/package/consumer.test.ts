import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/*
 * "Import the constructs into another infra repo": pack the library, install the tarball into a
 * fresh consumer project with its own cdktf app and its own peer dependencies, build an
 * environment from TypeScript objects and synthesize. Needs the npm registry (or npm's cache).
 */
const ROOT = path.join(__dirname, "..", "..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const npm = (args: string[], cwd: string) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CHECKPOINT_DISABLE: "1" } });

describe("envkit as a package in another infra repo", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-consumer-"));
  const consumer = path.join(work, "infra");
  let tarball = "";

  beforeAll(() => {
    // --ignore-scripts: prepack would rebuild dist/ in place while other test workers run it (a
    // half-written bundle, a new compile-cache key); `npm test` built it from these sources already.
    if (!fs.existsSync(path.join(ROOT, "dist", "lib", "cli", "envkit-bundle.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does) before this test");
    const packed = npm(["pack", "--silent", "--ignore-scripts", "--pack-destination", work], ROOT).trim().split("\n").pop()!;
    tarball = path.join(work, packed);
    fs.mkdirSync(consumer);
    const peers = pkg.peerDependencies as Record<string, string>;
    const dev = pkg.devDependencies as Record<string, string>;
    fs.writeFileSync(
      path.join(consumer, "package.json"),
      JSON.stringify({ name: "acme-infra", private: true, dependencies: { envkit: `file:${tarball}`, ...Object.fromEntries(Object.keys(peers).map((p) => [p, dev[p]])) } }, null, 2),
    );
    npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], consumer);
  }, 300_000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it("ships compiled JavaScript, type declarations and the CLI, but no tests or TypeScript sources", () => {
    const files = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).split("\n");
    expect(files).toContain("package/dist/lib/index.js");
    expect(files).toContain("package/dist/lib/index.d.ts");
    expect(files).toContain("package/dist/lib/cli/bin.js");
    expect(files).toContain("package/dist/lib/cli/envkit.js"); // the bundled command, the package's bin
    expect(files.filter((f) => f.startsWith("package/__tests__") || (f.endsWith(".ts") && !f.endsWith(".d.ts")))).toEqual([]);
  });

  it("shares the consumer's cdktf and constructs (peer dependencies, no duplicate tree)", () => {
    for (const peer of ["cdktf", "constructs", "@cdktf/provider-docker", "@cdktf/provider-kubernetes"]) {
      expect(fs.existsSync(path.join(consumer, "node_modules", "envkit", "node_modules", peer))).toBe(false);
      expect(fs.existsSync(path.join(consumer, "node_modules", peer))).toBe(true);
    }
  });

  it("builds an environment from TypeScript objects with the consumer's own cdktf app and synthesizes", () => {
    fs.writeFileSync(
      path.join(consumer, "main.ts"),
      `import { App } from "cdktf";
import { AppConfig, EnvironmentConfig, EnvironmentStack, resolveObjects } from "envkit";

const app: AppConfig = {
  name: "billing",
  services: {
    api: { image: "ghcr.io/acme/billing-api", ports: [{ name: "http", port: 8080 }], health: { http: { path: "/health", port: "http" } }, secrets: ["stripe_key"] },
  },
};
const dev: EnvironmentConfig = { target: "docker", release: { api: "3.1.0" }, network: { subnet: "10.230.0.0/16" } };
const cdktfApp = new App({ outdir: "out" });
for (const env of resolveObjects(app, { dev })) new EnvironmentStack(cdktfApp, env.model.name, { environment: env.model });
cdktfApp.synth();
`,
    );
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    execFileSync(process.execPath, [tsc, "--strict", "--module", "node16", "--moduleResolution", "node16", "--target", "es2022", "--skipLibCheck", "--outDir", "build", "main.ts"], { cwd: consumer, stdio: ["ignore", "pipe", "pipe"] });
    execFileSync(process.execPath, ["build/main.js"], { cwd: consumer, stdio: ["ignore", "pipe", "pipe"] });
    const json = JSON.parse(fs.readFileSync(path.join(consumer, "out", "stacks", "dev", "cdk.tf.json"), "utf8"));
    const container = Object.values(json.resource.docker_container as Record<string, Record<string, unknown>>)[0];
    // Rolling (the default) names a stateless service's containers with a hash of what replaces them.
    expect(String(container.name)).toMatch(/^billing-dev-api-[0-9a-f]{8}-1$/);
    expect(container.read_only).toBe(true);
    expect(json.variable.stripe_key.sensitive).toBe(true);
  });

  it("runs examples/library-consumer: envkit's constructs next to the consumer's own stack, provider and resources", () => {
    const example = path.join(consumer, "library-consumer");
    fs.mkdirSync(example);
    for (const f of ["main.ts", "tsconfig.json"]) fs.copyFileSync(path.join(ROOT, "examples", "library-consumer", f), path.join(example, f));
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    execFileSync(process.execPath, [tsc, "-p", example], { cwd: example, stdio: ["ignore", "pipe", "pipe"] });
    const run = execFileSync(process.execPath, [path.join(example, "build", "main.js")], { cwd: example, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CDKTF_OUTDIR: "out" } });
    expect(run).toBe("");
    const json = JSON.parse(fs.readFileSync(path.join(example, "out", "stacks", "billing-dev", "cdk.tf.json"), "utf8"));
    // One provider: the consumer's own, reused by envkit.
    expect(json.provider.docker).toEqual([{ host: "unix:///var/run/docker.sock" }]);
    expect(json.resource.docker_volume.backups.name).toBe("billing-backups");
    // The running containers (each service with secrets also has a never-started seed carrying the uploads).
    const containers = Object.values(json.resource.docker_container as Record<string, Record<string, unknown>>).filter((c) => c.start !== false);
    // api rolls (hashed name); db is stateful and recreates (plain name).
    expect(containers.map((c) => String(c.name).replace(/-[0-9a-f]{8}(-\d+)$/, "$1")).sort()).toEqual(["billing-dev-api-1", "billing-dev-db-1"]);
    for (const c of containers) expect(c.read_only).toBe(true);
    expect(json.output.api_address.value).toBe("api:8080");
    expect(json.variable.db_password.sensitive).toBe(true);
  });

  it("installs the envkit command (the bundled CLI) and it runs there", () => {
    const bin = path.join(consumer, "node_modules", ".bin", "envkit");
    expect(fs.realpathSync(bin)).toBe(fs.realpathSync(path.join(consumer, "node_modules", "envkit", "dist", "lib", "cli", "envkit.js")));
    const out = execFileSync(bin, ["--version"], { encoding: "utf8" });
    expect(out.trim()).toBe(pkg.version);
  });
});
