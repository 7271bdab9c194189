import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { Network } from "@cdktf/provider-docker/lib/network";
import { App, S3Backend, TerraformOutput, TerraformStack, TerraformVariable } from "../../lib/facade/cdktf";
// eslint-disable-next-line no-restricted-imports -- only the facade imports cdktf in lib/; a test may name CloudBackend directly
import { CloudBackend, NamedCloudWorkspace } from "cdktf";
import { Environment } from "../../lib/constructs/environment";
import { Secret } from "../../lib/constructs/secret";
import { Service } from "../../lib/constructs/service";
import { StatefulService } from "../../lib/constructs/stateful-service";
import { EnvkitError } from "../../lib/errors";
import { addEnvironmentStacks, newApp } from "../../lib/pipeline";
import { EnvironmentStack } from "../../stacks/environment-stack";
import { referenceEnv, resolveOne } from "../helpers";
import { SETTINGS, declareShop } from "./shop";

const quiet = { onWarning: () => undefined };
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "envkit-constructs-"));
const read = (dir: string, env: string): string => fs.readFileSync(path.join(dir, "stacks", env, "cdk.tf.json"), "utf8");
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const stackJson = (stack: TerraformStack): Json => JSON.parse(JSON.stringify(stack.toTerraform()));

const RELEASE = "1.0.0@sha256:" + "a".repeat(64);
const minimalApi = { image: "ghcr.io/acme/api", release: RELEASE, ports: [{ name: "http", port: 8080 }], health: { http: { path: "/health", port: "http" } } };

describe("one path: the constructs and the YAML builder synthesize the same stacks", () => {
  it.each(["staging", "dev"] as const)("the reference app's %s written with the constructs is byte-identical to the YAML path", (env) => {
    const yamlOut = tmp();
    const fromYaml = newApp(yamlOut);
    addEnvironmentStacks(fromYaml, [referenceEnv(env)], quiet);
    fromYaml.synth();

    const tsOut = tmp();
    const fromTs = newApp(tsOut);
    const stack = new EnvironmentStack(fromTs, env, { app: "shop", target: env === "dev" ? "docker" : "kubernetes", settings: SETTINGS[env], ...quiet });
    declareShop(stack, env);
    fromTs.synth();

    expect(read(tsOut, env)).toBe(read(yamlOut, env));
  });

  it("the YAML path instantiates the same constructs a TypeScript user writes", () => {
    const [stack] = addEnvironmentStacks(newApp(tmp()), [referenceEnv("staging")], quiet);
    expect(stack.node.findChild("api")).toBeInstanceOf(Service);
    expect(stack.node.findChild("db")).toBeInstanceOf(StatefulService);
    expect((stack.node.findChild("api") as Service).connections.map((c) => `${c.server.serviceName}:${c.portName}`)).toEqual(["db:postgres", "cache:redis"]);
    expect(stack.node.findAll().filter((c) => c instanceof Secret).map((s) => (s as Secret).secretName).sort()).toEqual(["db_password", "jwt_secret"]);
  });
});

describe("declared constructs: mistakes are reported at the construct that made them", () => {
  it("a bad value fails app.synth() naming the construct path, the field, the value and the fix", () => {
    const app = newApp(tmp());
    const stack = new EnvironmentStack(app, "dev", { app: "shop", target: "docker", settings: { network: { subnet: "10.230.0.0/16" } }, ...quiet });
    new Service(stack, "api", { ...minimalApi, resources: { cpu: "lots" } });
    expect(() => app.synth()).toThrow(/dev\/api: services\.api\.resources\.cpu: .*"lots"/);
  });

  it("a connection to a port the server does not have names the client and lists the server's ports", () => {
    const app = newApp(tmp());
    const stack = new EnvironmentStack(app, "dev", { app: "shop", target: "docker", settings: { network: { subnet: "10.230.0.0/16" } }, ...quiet });
    const db = new StatefulService(stack, "db", { image: "docker.io/library/postgres", release: RELEASE, ports: [{ name: "postgres", port: 5432 }] });
    const api = new Service(stack, "api", minimalApi);
    api.connectTo(db, "postgress");
    expect(() => stack.lower()).toThrow(/dev\/api: services\.api\.connections\.0\.port: "db" has no port named "postgress".*did you mean "postgres"/);
  });

  it("a construct declared after its environment was lowered is refused instead of silently dropped", () => {
    const stack = new EnvironmentStack(newApp(tmp()), "dev", { app: "shop", target: "docker", settings: { network: { subnet: "10.230.0.0/16" } }, ...quiet });
    new Service(stack, "api", minimalApi);
    stack.lower();
    expect(() => new Service(stack, "late", minimalApi)).toThrow(/dev\/late: environment dev was already lowered .*create every envkit construct before synthesis/);
  });

  it("a YAML-built stack refuses a construct added afterwards (it was lowered at construction)", () => {
    const [stack] = addEnvironmentStacks(newApp(tmp()), [referenceEnv("dev")], quiet);
    expect(() => new Secret(stack, "extra")).toThrow(EnvkitError);
  });

  it("two services of one name are refused at the second, naming the first", () => {
    const stack = new EnvironmentStack(newApp(tmp()), "dev", { app: "shop", target: "docker", ...quiet });
    new Service(stack, "api", minimalApi);
    expect(() => new Service(stack, "api2", { ...minimalApi, name: "api" })).toThrow(/dev\/api2: name: service "api" is already declared by dev\/api/);
  });

  it("a service outside any environment says where it must go", () => {
    const app = new App();
    expect(() => new Service(new TerraformStack(app, "plain"), "api", minimalApi)).toThrow(/plain\/api: a service must be created inside an environment: pass an EnvironmentStack or an Environment/);
  });

  it("a service whose id is where the target puts its resources is refused with the fix", () => {
    const stack = new EnvironmentStack(newApp(tmp()), "dev", { app: "shop", target: "docker", settings: { network: { subnet: "10.230.0.0/16" } }, ...quiet });
    new Service(stack, "docker", minimalApi);
    expect(() => stack.lower()).toThrow(/dev\/docker: the id "docker" is where environment "dev" puts its docker resources; give this construct another id/);
  });
});

describe("service names that a stack uses for itself", () => {
  it("a YAML service named backend or like the target keeps its name (no construct id clash)", () => {
    const service = { image: "ghcr.io/acme/x", ports: [{ name: "http", port: 8080 }], health: { http: { path: "/health", port: "http" } } };
    const app = { name: "demo", services: { backend: service, docker: service } };
    const env = resolveOne(app, "dev", { target: "docker", release: { backend: "1.0.0", docker: "1.0.0" }, network: { subnet: "10.230.0.0/16" } });
    const [stack] = addEnvironmentStacks(newApp(tmp()), [env], quiet);
    expect(stack.environment.services.map((s) => s.name).sort()).toEqual(["backend", "docker"]);
    const names = Object.values(stackJson(stack).resource.docker_container as Json).map((c) => (c as Json).name).sort();
    // Rolling (the default) names each container with a hash of what replaces it: compare without it.
    expect(names.map((n) => String(n).replace(/-[0-9a-f]{8}(-\d+)$/, "$1"))).toEqual(["demo-dev-backend-1", "demo-dev-docker-1"]);
  });

  it("a declared construct with the id backend is refused with the fix", () => {
    const stack = new EnvironmentStack(newApp(tmp()), "dev", { app: "shop", target: "docker", settings: { network: { subnet: "10.230.0.0/16" } }, ...quiet });
    new Service(stack, "backend", minimalApi);
    expect(() => stack.lower()).toThrow(/dev\/backend: the id "backend" is where cdktf puts the stack's state backend; give this construct another id/);
  });
});

describe("guardrails hold for declared constructs", () => {
  // In a namespace that admits it (podSecurity: privileged): Pod Security admission's own refusal is a configuration error, tested in pod-security.test.ts.
  it("a privileged root service in a mandatory environment fails app.synth() with the rule id", () => {
    const app = newApp(tmp());
    const stack = new EnvironmentStack(app, "staging", { app: "shop", target: "kubernetes", settings: { domain: "staging.example.com", kubernetes: { podSecurity: "privileged" } }, ...quiet });
    new Service(stack, "api", { ...minimalApi, replicas: 2, security: { privileged: true, user: "0:0", runAsNonRoot: false } });
    expect(() => app.synth()).toThrow(/ENVK-SEC-004/);
  });

  it("an Environment inside the user's own stack is judged too", () => {
    const app = new App({ outdir: tmp() });
    const stack = new TerraformStack(app, "infra");
    const env = new Environment(stack, "staging", { app: "shop", target: "kubernetes", settings: { domain: "staging.example.com", kubernetes: { podSecurity: "privileged" } }, ...quiet });
    new Service(env, "api", { ...minimalApi, replicas: 2, security: { privileged: true, user: "0:0", runAsNonRoot: false } });
    expect(() => app.synth()).toThrow(/ENVK-SEC-004/);
  });

  // Before, ENVK-STA-001 judged the settings' backend (the local default), which this stack never
  // uses: a stack with its own S3 backend failed, one on local state with settings.backend: s3 passed.
  const mandatoryIn = (addBackend: (stack: TerraformStack) => void, settings: Record<string, unknown> = {}): string => {
    const app = new App({ outdir: tmp() });
    const stack = new TerraformStack(app, "infra");
    addBackend(stack);
    const env = new Environment(stack, "prod", { app: "shop", target: "docker", settings: { network: { subnet: "10.230.0.0/16" }, policy: { enforcement: "mandatory" }, ...settings }, ...quiet });
    new Service(env, "api", { ...minimalApi, replicas: 2 });
    try {
      app.synth();
      return "";
    } catch (e) {
      return (e as Error).message;
    }
  };

  it("an Environment in a stack of the user's is judged by that stack's backend (ENVK-STA-001)", () => {
    expect(mandatoryIn((stack) => new S3Backend(stack, { bucket: "state", key: "prod.tfstate", region: "eu-west-1" }))).not.toMatch(/ENVK-STA-001/);
    expect(mandatoryIn(() => undefined)).toMatch(/infra\/prod: backend: \[ENVK-STA-001\] state is kept in a local file/);
    // HCP Terraform is `terraform.cloud`, not a backend block: remote state all the same.
    expect(mandatoryIn((stack) => new CloudBackend(stack, { organization: "acme", workspaces: new NamedCloudWorkspace("prod") }))).not.toMatch(/ENVK-STA-001/);
  });

  // Before, the second output of a name was merged into or replaced the first, silently.
  const synthError = (build: (stack: TerraformStack) => void): string => {
    const app = new App({ outdir: tmp() });
    build(new TerraformStack(app, "infra"));
    try {
      app.synth();
      return "";
    } catch (e) {
      return (e as Error).message;
    }
  };
  const devIn = (stack: TerraformStack, id = "dev", subnet = "10.230.0.0/16"): Environment => {
    const env = new Environment(stack, id, { app: "billing", target: "docker", settings: { network: { subnet } }, ...quiet });
    new Service(env, "api", minimalApi);
    return env;
  };

  it("refuses a stack output of the user's named like one an Environment adds (services), naming both", () => {
    const thrown = synthError((stack) => {
      new TerraformOutput(stack, "services", { value: "mine" });
      devIn(stack);
    });
    expect(thrown).toMatch(/infra\/services: the stack output "services" is also the one environment "dev" adds \(infra\/dev\/docker\); Terraform keeps one output per name, so one would replace or be merged into the other: give your output another id/);
    expect(synthError((stack) => {
      new TerraformOutput(stack, "my-services", { value: "mine" });
      devIn(stack);
    })).toBe("");
  });

  it("refuses a Terraform variable of the user's named like a secret's (a default of theirs would become its value)", () => {
    const thrown = synthError((stack) => {
      new TerraformVariable(stack, "api_token", { type: "string", default: "hunter2" });
      const env = devIn(stack);
      new Service(env, "worker", { ...minimalApi, secrets: [new Secret(env, "api_token")] });
    });
    expect(thrown).toMatch(/infra\/api_token: the Terraform variable "api_token" is also the one environment "dev" declares for its secret "api_token" \(infra\/dev\/docker\); Terraform keeps one variable per name, so they would be merged .*give your variable another id/);
    expect(thrown).not.toContain("hunter2");
  });

  it("refuses two Environments in one stack (their outputs would be one), saying to give each its own stack", () => {
    const thrown = synthError((stack) => {
      devIn(stack, "dev");
      devIn(stack, "test", "10.231.0.0/16");
    });
    expect(thrown).toMatch(/infra\/dev\/docker\/Output-services: the stack output "services" is also the one environment "test" adds \(infra\/test\/docker\).*put each Environment in a stack of its own \(or use EnvironmentStack\)/);
  });

  it("refuses settings.backend in an Environment (the stack's backend is used), naming the fix", () => {
    const thrown = mandatoryIn(() => undefined, { backend: { type: "s3", bucket: "state", key: "prod.tfstate", region: "eu-west-1" } });
    expect(thrown).toMatch(/infra\/prod: backend: an Environment inside your own stack keeps its state wherever that stack does, so settings\.backend would be ignored: remove it and configure the backend on the stack \(for example new S3Backend\(stack/);
  });
});

describe("piecemeal: an Environment next to the user's own resources and provider", () => {
  const build = (provider: "own-default" | "aliased" | "none"): Json => {
    const app = new App({ outdir: tmp() });
    const stack = new TerraformStack(app, "infra");
    const own = provider === "none" ? undefined : new DockerProvider(stack, "docker", { host: "unix:///var/run/docker.sock", ...(provider === "aliased" ? { alias: "mine" } : {}) });
    new Network(stack, "own-network", { name: "team-shared", ...(provider === "aliased" ? { provider: own } : {}) });
    const env = new Environment(stack, "dev", { app: "billing", target: "docker", settings: { network: { subnet: "10.230.0.0/16" } }, provider: provider === "aliased" ? own : undefined, ...quiet });
    new Service(env, "api", minimalApi);
    env.lower();
    return stackJson(stack);
  };

  it("reuses the stack's own default provider: one provider block, never a second default", () => {
    const json = build("own-default");
    expect(json.provider.docker).toHaveLength(1);
    expect(json.resource.docker_network).toHaveProperty(["own-network"]);
    expect(String(Object.values(json.resource.docker_container as Json)[0].name)).toMatch(/^billing-dev-api-[0-9a-f]{8}-1$/);
  });

  it("puts every envkit resource on the aliased provider it is given", () => {
    const json = build("aliased");
    expect(json.provider.docker).toEqual([expect.objectContaining({ alias: "mine" })]);
    const envkit = Object.entries(json.resource as Json).flatMap(([type, byId]) => Object.entries(byId as Json).filter(([id]) => id !== "own-network").map(([id, body]) => [`${type}.${id}`, (body as Json).provider]));
    expect(envkit.map(([address]) => address.split(".")[0])).toEqual(expect.arrayContaining(["docker_container", "docker_image", "docker_network"]));
    for (const [, p] of envkit) expect(p).toBe("docker.mine");
  });

  it("creates its own provider when the stack has none", () => {
    expect(build("none").provider.docker).toHaveLength(1);
  });
});

describe("typed references for the user's own resources", () => {
  it("services give their host, ports and addresses; secrets their variable, file and *_FILE variable", () => {
    const stack = new EnvironmentStack(newApp(tmp()), "dev", { app: "shop", target: "docker", ...quiet });
    const pw = new Secret(stack, "db_password");
    const db = new StatefulService(stack, "db", { image: "docker.io/library/postgres", release: RELEASE, ports: [{ name: "postgres", port: 5432 }], secrets: [pw] });
    expect([db.host, db.port("postgres"), db.address("postgres")]).toEqual(["db", 5432, "db:5432"]);
    expect([pw.variableName, pw.path, pw.fileVariable]).toEqual(["db_password", "/run/secrets/db_password", "DB_PASSWORD_FILE"]);
    expect(() => db.port("http")).toThrow(/dev\/db: ports: service "db" has no port named "http"; its ports: postgres/);
  });

  it("the environment's model is the resolved one (defaults applied)", () => {
    const stack = new EnvironmentStack(newApp(tmp()), "dev", { app: "shop", target: "docker", settings: { network: { subnet: "10.230.0.0/16" } }, ...quiet });
    new Service(stack, "api", minimalApi);
    const svc = stack.environment.services[0];
    expect([svc.replicas, svc.security.uid, svc.security.readOnlyRootFilesystem]).toEqual([1, 10001, true]);
  });
});

describe("rollout strategies through the constructs", () => {
  const GREEN = "1.1.0@sha256:" + "b".repeat(64);
  const declared = (rollout: ConstructorParameters<typeof Service>[2]["rollout"], release?: string): Json => {
    const stack = new EnvironmentStack(newApp(tmp()), "staging", { app: "shop", target: "kubernetes", settings: { domain: "staging.example.com" }, ...quiet });
    new Service(stack, "api", { ...minimalApi, release, replicas: 2, rollout });
    return stackJson(stack);
  };

  it("a blue-green Service (slots, no release) is two Deployments and a Service on the live slot", () => {
    const json = declared({ strategy: "blue-green", live: "green", slots: { blue: RELEASE, green: GREEN } });
    const one = (v: Json): Json => (Array.isArray(v) ? v[0] : v);
    const deployments = Object.values(json.resource.kubernetes_deployment_v1 as Json).map((d) => one((d as Json).metadata).name).sort();
    expect(deployments).toEqual(["api-blue", "api-green"]);
    const services = Object.values(json.resource.kubernetes_service_v1 as Json).map((s) => [one((s as Json).metadata).name, one((s as Json).spec).selector["envkit.dev/slot"]]);
    expect(services).toEqual(expect.arrayContaining([["api", "green"], ["api-preview", "blue"]]));
  });

  it("a blue-green Service that also sets release is refused at its construct path", () => {
    expect(() => declared({ strategy: "blue-green", live: "blue", slots: { blue: RELEASE, green: GREEN } }, RELEASE)).toThrow(/staging\/api: release\.api: "api" uses blue-green, where services\.api\.rollout\.slots pin the releases; remove release\.api/);
  });
});
