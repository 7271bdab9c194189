/*
 * IndependentStack skips cdktf's preparing pass, which is where cdktf turns a reference to
 * another stack's element into an output there and a remote-state data source here. Without it
 * the reference would be written verbatim (`${docker_network.net.name}` in a stack that has no
 * such network): Terraform fails at plan time at best. The stack refuses it at synthesis instead.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Container } from "@cdktf/provider-docker/lib/container";
import { Network } from "@cdktf/provider-docker/lib/network";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { App, IndependentStack, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from "../../lib/facade/cdktf";
import type { CdktfAppConfig, TerraformResource } from "../../lib/facade/cdktf";
import { EnvkitError } from "../../lib/errors";
import { EnvironmentStack } from "../../stacks/environment-stack";
import { referenceEnv } from "../helpers";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function newApp(config: CdktfAppConfig = {}): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-xstack-"));
  dirs.push(outdir);
  return new App({ outdir, stackTraces: false, ...config });
}

/** A plain producer stack "shared" with a network and a variable. */
function producer(app: App, Base: typeof TerraformStack = TerraformStack) {
  const stack = new Base(app, "shared");
  new LocalBackend(stack, { path: "../shared.tfstate" });
  new DockerProvider(stack, "docker");
  return { stack, net: new Network(stack, "net", { name: "shared-net" }), region: new TerraformVariable(stack, "region", { type: "string" }) };
}

function consumer(app: App, Base: typeof TerraformStack = IndependentStack): TerraformStack {
  const stack = new Base(app, "dev");
  new LocalBackend(stack, { path: "../dev.tfstate" });
  new DockerProvider(stack, "docker");
  return stack;
}

/** The EnvkitError `run` throws (fails the test when it throws nothing or something else). */
function refusal(run: () => unknown): EnvkitError {
  try {
    run();
  } catch (e) {
    if (!(e instanceof EnvkitError)) throw e;
    return e as EnvkitError;
  }
  throw new Error("expected an EnvkitError, nothing was thrown");
}

const FIX = /EnvironmentStacks never reference each other: pass the value in through the configuration or a TerraformVariable, or build the stacks that need cross-stack wiring on a plain TerraformStack/;

describe("IndependentStack refuses references to other stacks", () => {
  it("a resource using another stack's resource attribute fails synthesis, naming the construct, the field, both stacks and the fix", () => {
    const app = newApp();
    const { net } = producer(app);
    new Container(consumer(app), "api", { name: "api", image: "nginx", networksAdvanced: [{ name: net.name }] });
    const err = refusal(() => app.synth());
    expect(err.issues).toHaveLength(1);
    expect(err.message).toMatch(/^dev\/api: resource\.docker_container\.api\.networks_advanced\.0\.name: references docker_network\.net\.name of stack "shared", but stack "dev" is an IndependentStack/);
    expect(err.message).toContain(`cdktf would add an output to "shared" and a remote-state data source to "dev"`);
    expect(err.message).toMatch(FIX);
  });

  it("an output exposing another stack's variable is refused", () => {
    const app = newApp();
    const { region } = producer(app);
    new TerraformOutput(consumer(app), "region", { value: region.stringValue });
    expect(refusal(() => app.synth()).message).toMatch(/^dev\/region: output\.region\.value: references var\.region of stack "shared"/);
  });

  it("depends_on pointing at another stack's resource is refused", () => {
    const app = newApp();
    const { net } = producer(app);
    new Container(consumer(app), "api", { name: "api", image: "nginx", dependsOn: [net] });
    expect(refusal(() => app.synth()).message).toMatch(/^dev\/api: resource\.docker_container\.api\.depends_on\.0: references docker_network\.net of stack "shared"/);
  });

  it("a list-valued reference (a list token) is refused, naming the list field", () => {
    const app = newApp();
    const { stack } = producer(app);
    const servers = new TerraformVariable(stack, "dns_servers", { type: "list(string)" });
    new Container(consumer(app), "api", { name: "api", image: "nginx", dns: servers.listValue });
    expect(refusal(() => app.synth()).message).toMatch(/^dev\/api: resource\.docker_container\.api\.dns: references var\.dns_servers of stack "shared"/);
  });

  it("a stack-level override carrying another stack's value is refused, naming the stack and the override", () => {
    const app = newApp();
    const { net } = producer(app);
    consumer(app).addOverride("locals.shared_network", net.id);
    expect(refusal(() => app.synth()).message).toMatch(/^dev: locals\.shared_network: references docker_network\.net\.id of stack "shared"/);
  });

  it("every foreign reference is reported at once, in one error", () => {
    const app = newApp();
    const { net, region } = producer(app);
    const stack = consumer(app);
    new Container(stack, "api", { name: "api", image: "nginx", networksAdvanced: [{ name: net.name }], env: [`REGION=${region.stringValue}`] });
    new TerraformOutput(stack, "net", { value: net.id });
    const err = refusal(() => app.synth());
    expect(err.issues.map((i) => `${i.file}: ${i.path}`).sort()).toEqual(["dev/api: resource.docker_container.api.env.0", "dev/api: resource.docker_container.api.networks_advanced.0.name", "dev/net: output.net.value"]);
  });

  it("the same foreign reference in many resources is reported for each (a reference resolved once per stack is noted again at every use)", () => {
    const app = newApp();
    const { net } = producer(app);
    const stack = consumer(app);
    for (const name of ["a", "b", "c"]) new Container(stack, name, { name, image: "nginx", networksAdvanced: [{ name: net.name }] });
    const err = refusal(() => app.synth());
    expect(err.issues.map((i) => `${i.file}: ${i.path}`).sort()).toEqual(["a", "b", "c"].map((n) => `dev/${n}: resource.docker_container.${n}.networks_advanced.0.name`));
  });

  it("an escape-hatch override pointing one EnvironmentStack into another environment's stack fails app.synth() and guardrails()", () => {
    const app = newApp();
    const dev = new EnvironmentStack(app, "dev", { environment: referenceEnv("dev").model, onWarning: () => undefined });
    const test = new EnvironmentStack(app, "test", { environment: referenceEnv("test").model, onWarning: () => undefined });
    const byType = (stack: TerraformStack, type: string) => stack.node.findAll().find((c) => (c as Partial<TerraformResource>).terraformResourceType === type) as TerraformResource;
    const devNetwork = byType(dev, "docker_network") as unknown as Network;
    const testContainer = byType(test, "docker_container");
    testContainer.addOverride("network_mode", devNetwork.name);
    const message = new RegExp(`^${testContainer.node.path}: resource\\.docker_container\\.${testContainer.friendlyUniqueId}\\.network_mode: references docker_network\\.${devNetwork.friendlyUniqueId}\\.name of stack "dev", but stack "test"`);
    expect(refusal(() => test.guardrails()).message).toMatch(message);
    expect(refusal(() => app.synth()).message).toMatch(message);
  });

  it("HCL output, which bypasses toTerraform, is checked too", () => {
    const app = newApp({ hclOutput: true });
    const { net } = producer(app);
    new Container(consumer(app), "api", { name: "api", image: "nginx", networksAdvanced: [{ name: net.name }] });
    expect(refusal(() => app.synth()).message).toMatch(/^dev\/api: resource\.docker_container\.api\.networks_advanced\.0\.name: references docker_network\.net\.name of stack "shared"/);
  });

  it("the refusal is formatted issues only, never a stack trace (even when the tokens carry creation traces)", () => {
    const app = newApp();
    const { net } = producer(app); // created outside envkit: its tokens carry creation traces
    new Container(consumer(app), "api", { name: "api", image: "nginx", networksAdvanced: [{ name: net.name }], dependsOn: [net] });
    const err = refusal(() => app.synth());
    expect(err.message.split("\n")).toHaveLength(err.issues.length);
    expect(err.message).not.toMatch(/\bat .+:\d+:\d+/);
    expect(err.message).not.toContain("Resolution error");
  });

  it("references inside the stack itself are written as usual", () => {
    const app = newApp();
    const stack = consumer(app);
    const net = new Network(stack, "net", { name: "own" });
    new Container(stack, "api", { name: "api", image: "nginx", networksAdvanced: [{ name: net.name }], dependsOn: [net] });
    const json = JSON.parse(JSON.stringify(stack.toTerraform()));
    expect(json.resource.docker_container.api.networks_advanced).toEqual([{ name: "${docker_network.net.name}" }]);
    expect(json.resource.docker_container.api.depends_on).toEqual(["docker_network.net"]);
  });

  it("the fix works: a plain TerraformStack consuming an IndependentStack's values is wired by cdktf, byte for byte as with two stock stacks", () => {
    const synth = (ProducerBase: typeof TerraformStack): Map<string, string> => {
      const app = newApp();
      const { net } = producer(app, ProducerBase);
      new Container(consumer(app, TerraformStack), "api", { name: "api", image: "nginx", networksAdvanced: [{ name: net.name }] });
      app.synth();
      const files = ["manifest.json", "stacks/shared/cdk.tf.json", "stacks/dev/cdk.tf.json"];
      return new Map(files.map((f) => [f, fs.readFileSync(path.join(app.outdir, f), "latin1")]));
    };
    const withIndependent = synth(IndependentStack);
    const stock = synth(TerraformStack);
    for (const [file, bytes] of stock) expect({ file, bytes: withIndependent.get(file) }).toEqual({ file, bytes });
    const dev = JSON.parse(stock.get("stacks/dev/cdk.tf.json")!);
    expect(Object.keys(dev.data.terraform_remote_state)).toHaveLength(1);
    expect(JSON.stringify(dev.resource.docker_container.api.networks_advanced)).toContain("data.terraform_remote_state.");
    expect(Object.keys(JSON.parse(stock.get("stacks/shared/cdk.tf.json")!).output)[0]).toMatch(/^cross-stack-output-docker_networknetname/);
  });
});
