import { App, TerraformStack, TerraformOutput, IndependentStack } from "../../lib/facade/cdktf";
import { BackendConfig } from "../../lib/config/schema";
import { EnvironmentModel } from "../../lib/model/environment";
import { adapterFor } from "../../lib/targets/registry";
import { configureBackend } from "../../stacks/environment-stack";
import { dockerEnv, k8sEnv, miniApp, referenceEnvironments, resolveOne } from "../helpers";

/** Synthesizes one environment on a given stack class and returns the stack's JSON text. */
function synthWith(Base: typeof TerraformStack, env: EnvironmentModel, extra?: (s: TerraformStack) => void): string {
  const app = new App({ stackTraces: false });
  const stack = new Base(app, env.name);
  configureBackend(stack, env.backend);
  adapterFor(env.target)!.lower(stack, env);
  extra?.(stack);
  if (Base === TerraformStack) stack.prepareStack();
  return JSON.stringify(stack.toTerraform(), null, 2);
}

describe("IndependentStack (the fast synthesis path)", () => {
  it.each(["dev", "test", "staging", "prod"])("gives %s exactly the document stock cdktf gives", (name) => {
    const env = referenceEnvironments().find((e) => e.model.name === name)!.model;
    const stock = synthWith(TerraformStack, env);
    const fast = synthWith(IndependentStack, env);
    expect(JSON.parse(fast)).toEqual(JSON.parse(stock));
  });

  it.each<[string, BackendConfig]>([
    ["local", { type: "local", path: "../state.tfstate" }],
    ["s3", { type: "s3", bucket: "b", key: "k", region: "r", useLockfile: true }],
    ["pg", { type: "pg", schemaName: "s" }],
    ["remote", { type: "remote", organization: "o", workspace: "w" }],
  ])("matches stock cdktf with the %s backend (stack overrides that delete keys)", (_n, backend) => {
    const env = { ...referenceEnvironments().find((e) => e.model.name === "staging")!.model, backend };
    expect(JSON.parse(synthWith(IndependentStack, env))).toEqual(JSON.parse(synthWith(TerraformStack, env)));
  });

  it.each<[string, EnvironmentModel]>([
    ["docker with replicas, host-file secrets and a TLS host", resolveOne(miniApp(), "dev", dockerEnv({ services: { api: { replicas: 3 } }, docker: { secretsHostDir: "/etc/s", host: "tcp://h:2376", certPath: "/c" }, volumes: { preventDestroy: true } })).model],
    ["kubernetes with autoscaling, TLS, quota and rotation", resolveOne(miniApp(), "staging", k8sEnv({ services: { web: { replicas: 2 }, api: { autoscaling: { minReplicas: 2, maxReplicas: 5 } } }, tls: { secretName: "t" }, quota: { cpu: "8", pods: 40 }, secretRevisions: { api_token: 3 } })).model],
  ])("matches stock cdktf for %s", (_n, env) => {
    expect(JSON.parse(synthWith(IndependentStack, env))).toEqual(JSON.parse(synthWith(TerraformStack, env)));
  });

  it("keeps escape-hatch overrides, stack overrides and outputs identical too", () => {
    const env = referenceEnvironments().find((e) => e.model.name === "prod")!.model;
    const extra = (s: TerraformStack) => {
      s.addOverride("terraform.required_version", ">= 1.11.4");
      new TerraformOutput(s, "namespace", { value: "shop-prod" });
      const first = s.node.findAll().find((c) => c.node.id === "workload") as unknown as { addOverride(p: string, v: unknown): void };
      first.addOverride("spec.template.spec.priority_class_name", "critical");
    };
    expect(JSON.parse(synthWith(IndependentStack, env, extra))).toEqual(JSON.parse(synthWith(TerraformStack, env, extra)));
  });
});
