import { BackendConfig } from "../../lib/config/schema";
import { Testing } from "../../lib/facade/cdktf";
import { findSecretLiterals } from "../../lib/targets/inspect";
import { EnvironmentStack } from "../../stacks/environment-stack";
import { dockerEnv, k8sEnv, miniApp, referenceEnvironments, resolveOne, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("EnvironmentStack", () => {
  it("is named after the environment and synthesizes independently of other stacks", () => {
    const app = Testing.app();
    const dev = new EnvironmentStack(app, "dev", { environment: resolveOne(miniApp(), "dev", dockerEnv()).model });
    const staging = new EnvironmentStack(app, "staging", { environment: resolveOne(miniApp(), "staging", k8sEnv()).model });
    expect(dev.node.id).toBe("dev");
    expect(staging.dependencies).toEqual([]);
    expect(dev.dependencies).toEqual([]);
    const json = JSON.parse(Testing.synth(dev)) as Json;
    expect(Object.keys(json.provider)).toEqual(["docker"]);
    expect(Object.keys(json.resource).filter((t) => t.startsWith("kubernetes_"))).toEqual([]);
  });

  it.each<[string, BackendConfig, Json]>([
    ["local (relative path by default)", { type: "local" }, { local: { path: "../../../terraform.dev.tfstate" } }],
    ["local with a path", { type: "local", path: "../../../state/dev.tfstate" }, { local: { path: "../../../state/dev.tfstate" } }],
    ["s3", { type: "s3", bucket: "b", key: "k", region: "eu-west-1", useLockfile: true }, { s3: { bucket: "b", key: "k", region: "eu-west-1", encrypt: true, use_lockfile: true } }],
    ["gcs", { type: "gcs", bucket: "b", prefix: "shop/dev" }, { gcs: { bucket: "b", prefix: "shop/dev" } }],
    ["azurerm", { type: "azurerm", resourceGroupName: "rg", storageAccountName: "sa", containerName: "tf", key: "dev.tfstate" }, { azurerm: { resource_group_name: "rg", storage_account_name: "sa", container_name: "tf", key: "dev.tfstate" } }],
    ["pg (connection string from PG_CONN_STR)", { type: "pg", schemaName: "shop_dev" }, { pg: { schema_name: "shop_dev" } }],
    ["remote", { type: "remote", organization: "acme", workspace: "shop-dev" }, { remote: { organization: "acme", workspaces: { name: "shop-dev" } } }],
  ])("configures the %s backend", (_name, backend, expected) => {
    const json = synthJson([resolveOne(miniApp(), "dev", dockerEnv({ backend }))]).get("dev")!;
    expect(json.terraform.backend).toEqual(expected);
  });

  it("keeps construct ids stable: renaming one would destroy and recreate infrastructure", () => {
    const stacks = synthJson(referenceEnvironments());
    const ids = Object.fromEntries(
      [...stacks].map(([env, json]) => [env, Object.entries(json.resource as Record<string, Record<string, unknown>>).flatMap(([type, byId]) => Object.keys(byId).map((id) => `${type}.${id}`)).sort()]),
    );
    expect(ids).toMatchSnapshot();
  });

  it.each(["dev", "test", "staging", "prod"])("%s stack matches its snapshot (a change detector, not the only check)", (env) => {
    expect(synthJson(referenceEnvironments()).get(env)).toMatchSnapshot();
  });
});

describe("no secret value reaches synthesized output", () => {
  it("ignores TF_VAR_ values in the environment and references variables only", () => {
    process.env.TF_VAR_db_password = "canary-db-password-7f3a";
    process.env.TF_VAR_jwt_secret = "canary-jwt-secret-91bc";
    try {
      for (const [env, json] of synthJson(referenceEnvironments())) {
        const text = JSON.stringify(json);
        expect({ env, leaked: text.includes("canary-") }).toEqual({ env, leaked: false });
        for (const name of ["db_password", "jwt_secret"]) {
          expect(json.variable[name].default).toBeUndefined();
          expect(json.variable[name].sensitive).toBe(true);
        }
      }
    } finally {
      delete process.env.TF_VAR_db_password;
      delete process.env.TF_VAR_jwt_secret;
    }
  });

  it("finds no literal secret anywhere in the reference app's stacks", () => {
    for (const json of synthJson(referenceEnvironments()).values()) expect(findSecretLiterals(json)).toEqual([]);
  });

  it("detects a literal secret that an escape hatch would add", () => {
    expect(findSecretLiterals({ resource: { docker_container: { c: { env: ["API_TOKEN=abc123"] } } } })).toEqual([{ path: "resource.docker_container.c.env[0]", message: 'assigns a literal value to secret-like variable "API_TOKEN"' }]);
    expect(findSecretLiterals({ a: { password: "x" } })[0].message).toContain('sets secret-like key "password"');
  });
});
