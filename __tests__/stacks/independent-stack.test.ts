/*
 * IndependentStack's claim: the files `app.synth()` writes are byte-identical to stock cdktf's.
 * Every comparison here is of bytes — manifest.json and every stack's cdk.tf.json (or cdk.tf and
 * metadata.json for HCL output), every file in the output folder — between the reference app's
 * environments on envkit's EnvironmentStack (the fast path) and the same environments on a stock
 * TerraformStack (backend and lowering alike, nothing of envkit's stack classes).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformIterator, TerraformOutput, TerraformStack, TerraformVariable } from "../../lib/facade/cdktf";
import type { CdktfAppConfig, TerraformResource } from "../../lib/facade/cdktf";
import { BackendConfig } from "../../lib/config/schema";
import { EnvironmentModel } from "../../lib/model/environment";
import { adapterFor } from "../../lib/targets/registry";
import { EnvironmentStack, configureBackend } from "../../stacks/environment-stack";
import { dockerEnv, k8sEnv, miniApp, referenceEnvironments, resolveOne, filesOf } from "../helpers";

type Kind = "envkit" | "stock";
type Extra = (stack: TerraformStack) => void;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Builds one environment's stack: envkit's EnvironmentStack, or a stock TerraformStack given the same backend and resources. */
function build(kind: Kind, app: App, env: EnvironmentModel): TerraformStack {
  if (kind === "envkit") {
    const stack = new EnvironmentStack(app, env.name, { environment: env, onWarning: () => undefined });
    expect(stack.fastSynthesis).toBe(true); // or this file would compare stock cdktf with itself
    return stack;
  }
  const stack = new TerraformStack(app, env.name);
  configureBackend(stack, env.backend);
  adapterFor(env.target)!.lower(stack, env);
  return stack;
}

/** Every file `app.synth()` writes, by path relative to the output folder. */
function synthFiles(kind: Kind, envs: readonly EnvironmentModel[], extra?: Extra, config: CdktfAppConfig = { stackTraces: false }): Map<string, Buffer> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `envkit-bytes-${kind}-`));
  dirs.push(outdir);
  const app = new App({ ...config, outdir });
  for (const env of envs) {
    const stack = build(kind, app, env);
    extra?.(stack);
  }
  app.synth();
  return filesOf(outdir);
}

/** Where two byte strings first differ, with a little context; null when they are equal. */
function firstDifference(a: Buffer, b: Buffer): { offset: number; envkit: string; stock: string } | null {
  if (a.equals(b)) return null;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const around = (x: Buffer) => x.subarray(Math.max(0, i - 80), i + 80).toString("utf8");
  return { offset: i, envkit: around(a), stock: around(b) };
}

/** Synthesizes `envs` both ways and expects the same set of files with the same bytes. */
function expectSameBytes(envs: readonly EnvironmentModel[], extra?: Extra, config?: CdktfAppConfig): Map<string, Buffer> {
  const envkit = synthFiles("envkit", envs, extra, config);
  const stock = synthFiles("stock", envs, extra, config);
  expect([...envkit.keys()]).toEqual([...stock.keys()]);
  for (const [file, bytes] of stock) expect({ file, difference: firstDifference(envkit.get(file)!, bytes) }).toEqual({ file, difference: null });
  return stock;
}

const reference = (): EnvironmentModel[] => referenceEnvironments().map((e) => e.model);
const withBackend = (backend: BackendConfig) => reference().map((m) => ({ ...m, backend }));

/** Escape hatches a consumer uses on any stack: stack overrides, resource overrides (set, delete, token-valued), outputs, variables. */
const escapeHatches: Extra = (stack) => {
  stack.addOverride("terraform.required_version", ">= 1.11.4");
  stack.addOverride("locals.envkit_stack", stack.node.id);
  const resources = stack.node.findAll().filter((c): c is TerraformResource => typeof (c as Partial<TerraformResource>).getStringAttribute === "function");
  const [first, second, third] = resources;
  first.addOverride("lifecycle.create_before_destroy", true);
  second.addOverride("labels", undefined); // deletes a key the lowering set (or none)
  third.addOverride("depends_on", [first.fqn]);
  first.addOverride("provisioner", [{ "local-exec": { command: `echo ${second.getStringAttribute("id")}` } }]);
  stack.addOverride("locals.first_id", first.getStringAttribute("id"));
  const owner = new TerraformVariable(stack, "hatch_owner", { type: "string", default: "platform" });
  new TerraformOutput(stack, "hatch_first_id", { value: first.getStringAttribute("id") });
  new TerraformOutput(stack, "hatch_owner_out", { value: owner.stringValue, description: "who runs this stack" });
};

/**
 * What the one-copy resource path hands back to the stock one: an imported resource, a moved one
 * (by id, both ways), a dynamic block, meta-arguments (depends_on, lifecycle, count) and a
 * resource whose toTerraform is its own.
 */
const stockPathCases: Extra = (stack) => {
  const resources = stack.node.findAll().filter((c): c is TerraformResource => typeof (c as Partial<TerraformResource>).getStringAttribute === "function");
  const [a, b, d, e, f] = resources.slice(-5);
  a.importFrom("imported-id");
  b.moveFromId(`${b.terraformResourceType}.old_name`);
  // Docker resources take labels as a block: one of them gets a dynamic block.
  type Labelled = TerraformResource & { putLabels: (v: unknown) => void };
  const c = resources.find((r): r is Labelled => typeof (r as Partial<Labelled>).putLabels === "function" && r.terraformResourceType === "docker_network");
  const labels = TerraformIterator.fromList(["x", "y"]);
  c?.putLabels(labels.dynamic({ label: labels.value, value: "v" }));
  d.dependsOn = [a.fqn, b.fqn];
  d.lifecycle = { createBeforeDestroy: true, ignoreChanges: ["labels"], preventDestroy: false };
  e.count = 2;
  const own = f as unknown as { toTerraform: () => Record<string, unknown> };
  const stockToTerraform = own.toTerraform.bind(f);
  own.toTerraform = () => {
    const tf = stockToTerraform();
    return { ...tf, locals: { [`own_${f.node.id}`]: "written by its own toTerraform" } };
  };
};

describe("IndependentStack writes the bytes stock cdktf writes (app.synth(), every file)", () => {
  it("for the reference app's five environments", () => {
    const files = expectSameBytes(reference());
    expect([...files.keys()]).toEqual(["manifest.json", "stacks/dev/cdk.tf.json", "stacks/prod/cdk.tf.json", "stacks/staging/cdk.tf.json", "stacks/swarm/cdk.tf.json", "stacks/test/cdk.tf.json"]);
  });

  it("with a consumer's own App settings (stack traces in metadata on, cdktf's default)", () => {
    expectSameBytes(reference(), undefined, {});
  });

  it("with escape-hatch overrides, outputs and variables on all five environments", () => {
    const files = expectSameBytes(reference(), escapeHatches);
    const prod = JSON.parse(files.get("stacks/prod/cdk.tf.json")!.toString("utf8"));
    expect(prod.terraform.required_version).toBe(">= 1.11.4");
    expect(prod.locals.first_id).toMatch(/^\$\{[a-z0-9_]+\.[A-Za-z0-9_-]+\.id\}$/); // a token-valued override, resolved
    expect(prod.output.hatch_owner_out.value).toBe("${var.hatch_owner}");
  });

  it.each<[string, BackendConfig]>([
    ["local", { type: "local", path: "../../../state.tfstate" }], // staging and prod refuse local state (a guardrail): synthesized unjudged
    ["s3", { type: "s3", bucket: "b", key: "k", region: "r", encrypt: true, dynamodbTable: "locks", useLockfile: true }],
    ["gcs", { type: "gcs", bucket: "b", prefix: "p" }],
    ["azurerm", { type: "azurerm", resourceGroupName: "rg", storageAccountName: "sa", containerName: "c", key: "k" }],
    ["pg", { type: "pg", schemaName: "s" }],
    ["remote", { type: "remote", organization: "o", workspace: "w", hostname: "app.terraform.io" }],
  ])("with the %s backend on all five environments, with escape hatches (stack overrides that add and delete keys)", (_name, backend) => {
    const files = expectSameBytes(withBackend(backend), escapeHatches, { stackTraces: false, skipValidation: backend.type === "local" });
    const dev = JSON.parse(files.get("stacks/dev/cdk.tf.json")!.toString("utf8"));
    expect(Object.keys(dev.terraform.backend)).toEqual([backend.type]);
  });

  it.each<[string, EnvironmentModel]>([
    ["docker with replicas, host-file secrets and a TLS host", resolveOne(miniApp(), "dev", dockerEnv({ services: { api: { replicas: 3 } }, docker: { secretsHostDir: "/etc/s", host: "tcp://h:2376", certPath: "/c" }, volumes: { preventDestroy: true } })).model],
    ["kubernetes with autoscaling, TLS, quota and rotation", resolveOne(miniApp(), "staging", k8sEnv({ services: { web: { replicas: 2 }, api: { autoscaling: { minReplicas: 2, maxReplicas: 5 } }, db: { backup: { method: "postgres" } } }, tls: { secretName: "t" }, quota: { cpu: "8", pods: 40 }, secretRevisions: { api_token: 3 } })).model],
  ])("for %s", (_n, env) => {
    expectSameBytes([env]);
  });

  it("with imported and moved resources, a dynamic block, meta-arguments and a resource with its own toTerraform", () => {
    const files = expectSameBytes(reference(), stockPathCases);
    const dev = JSON.parse(files.get("stacks/dev/cdk.tf.json")!.toString("utf8"));
    expect(dev.import).toHaveLength(1);
    expect(dev.moved).toHaveLength(1);
    expect(Object.keys(dev.locals)).toHaveLength(1);
    const all = Object.values(dev.resource as Record<string, Record<string, Record<string, unknown>>>).flatMap((byId) => Object.values(byId));
    expect(all.some((r) => Array.isArray(r.depends_on) && (r.lifecycle as { create_before_destroy?: boolean })?.create_before_destroy === true)).toBe(true);
    expect(all.some((r) => r.count === 2)).toBe(true);
    expect(all.some((r) => (r.dynamic as { labels?: { for_each?: unknown } } | undefined)?.labels?.for_each !== undefined)).toBe(true);
  });

  it("with HCL output (cdk.tf and metadata.json)", () => {
    const files = expectSameBytes(reference(), escapeHatches, { stackTraces: false, hclOutput: true });
    expect([...files.keys()]).toContain("stacks/prod/cdk.tf");
  });

  it("(the comparison sees a one-byte change)", () => {
    const changed: Extra = (stack) => stack.node.id === "prod" && stack instanceof EnvironmentStack && stack.addOverride("locals.x", "a");
    const envkit = synthFiles("envkit", reference(), changed);
    const stock = synthFiles("stock", reference());
    expect(firstDifference(envkit.get("stacks/prod/cdk.tf.json")!, stock.get("stacks/prod/cdk.tf.json")!)).not.toBeNull();
    expect(firstDifference(envkit.get("stacks/dev/cdk.tf.json")!, stock.get("stacks/dev/cdk.tf.json")!)).toBeNull();
  });
});
