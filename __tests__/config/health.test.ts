import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { layer } from "../../lib/config/merge";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { HEALTH_CHECK_KINDS } from "../../lib/model/environment";
import { cli, copyReferenceApp, dockerEnv, edit, k8sEnv, miniApp, model, resolve } from "../helpers";

/*
 * Health checks in the configuration layer (issue 11 §6): one check kind per check across
 * layering, `health: null` removing the check, tcp/grpc kinds, per-role overrides, and every
 * validation rule with a failing input matching its message.
 */

type Envs = Record<string, EnvironmentConfig>;
type Json = Record<string, unknown>;
const errorText = (app: AppConfig, envs: Envs): string =>
  resolve(app, envs)
    .issues.filter((i) => i.severity !== "warning")
    .map(formatIssue)
    .join("\n");
/** miniApp with `api` patched (its ports: http 3000/tcp, grpc 9090/tcp, dns 53/udp). */
const withApi = (patch: Json): AppConfig => {
  const app = miniApp();
  const ports = [{ name: "http", port: 3000 }, { name: "grpc", port: 9090 }, { name: "dns", port: 53, protocol: "udp" as const }];
  return { ...app, services: { ...app.services, api: { ...app.services.api, ports, ...patch } as AppConfig["services"][string] } };
};
const apiHealth = (health: unknown): AppConfig => withApi({ health });
const dev = (services?: Json): Envs => ({ dev: dockerEnv(services ? { services: services as never } : {}) });
const staging = (services?: Json): Envs => ({ staging: k8sEnv(services ? { services: { ...k8sEnv().services, ...services } as never } : {}) });
const effectiveHealth = (app: AppConfig, envs: Envs): Json => {
  const [name, env] = Object.entries(envs)[0];
  return ((model(app, name, env).effective as Json).services as Record<string, Json>).api.health as Json;
};
const kindsOf = (h: Json): string[] => HEALTH_CHECK_KINDS.filter((k) => h[k] !== undefined);

describe("layering: the environment's check kind replaces the application's", () => {
  it("an environment's health.http over an app-level health.command leaves only http (Kubernetes and Docker then run the same check)", () => {
    const app = apiHealth({ command: ["/bin/check"], interval: "7s" });
    const h = effectiveHealth(app, staging({ api: { replicas: 2, health: { http: { path: "/ready", port: "http" } } } }));
    expect(kindsOf(h)).toEqual(["http"]);
    expect(h.command).toBeUndefined();
    // Timings are not kinds: the app's stay.
    expect(h.interval).toBe("7s");
    const m = model(app, "staging", k8sEnv({ services: { ...k8sEnv().services, api: { replicas: 2, health: { http: { path: "/ready", port: "http" } } } } }));
    const api = m.services.find((s) => s.name === "api")!;
    expect(api.health?.command).toBeUndefined();
    expect([api.health?.readiness.check, api.health?.liveness.check, api.health?.startup.check]).toEqual(Array(3).fill({ kind: "http", path: "/ready", port: 3000 }));
  });

  it("an environment that only changes timings keeps the application's kind", () => {
    const h = effectiveHealth(apiHealth({ tcp: { port: "http" } }), staging({ api: { replicas: 2, health: { interval: "20s" } } }));
    expect(h).toMatchObject({ tcp: { port: "http" }, interval: "20s" });
    expect(kindsOf(h)).toEqual(["tcp"]);
  });

  it("a role's kind replaces the application's kind of that role only", () => {
    const app = apiHealth({ http: { path: "/h", port: "http" }, readiness: { command: ["/ready"], retries: 2 } });
    const h = effectiveHealth(app, staging({ api: { replicas: 2, health: { readiness: { grpc: { port: "grpc" } } } } }));
    expect(h.readiness).toEqual({ grpc: { port: "grpc" }, retries: 2 });
    expect(h.http).toEqual({ path: "/h", port: "http" });
  });

  it("a probe's command replaces the application's probe tool (not both, which the schema refuses per file)", () => {
    const app = apiHealth({ tcp: { port: "http" }, probe: { tool: "nc" } });
    const h = effectiveHealth(app, dev({ api: { health: { probe: { command: ["/bin/probe"] } } } }));
    expect(h.probe).toEqual({ command: ["/bin/probe"] });
  });

  const check = fc.oneof(
    fc.record({ http: fc.constant({ path: "/h", port: "http" }) }),
    fc.record({ tcp: fc.constant({ port: "http" }) }),
    fc.record({ grpc: fc.constant({ port: "grpc" }) }),
    fc.record({ command: fc.constant(["/c"]) }),
    fc.constant({}),
  );
  const withTimings = check.chain((c) => fc.record({ interval: fc.constantFrom("5s", "9s") }, { requiredKeys: [] }).map((t) => ({ ...c, ...t })));
  const health = fc.record({ base: withTimings, readiness: fc.option(withTimings, { nil: undefined }), liveness: fc.option(withTimings, { nil: undefined }) }).map(({ base, readiness, liveness }) => ({
    ...base,
    ...(readiness ? { readiness } : {}),
    ...(liveness ? { liveness } : {}),
  }));

  it("property: after layering, a check (and each role's) has at most one kind, the overlay's when the overlay sets one, else the base's", () => {
    fc.assert(
      fc.property(health, health, (base, over) => {
        const doc = (h: Json) => ({ services: { api: { health: h } } });
        const out = ((layer(doc(base), doc(over)) as Json).services as Record<string, Json>).api.health as Json;
        for (const [b, o, r] of [
          [base, over, out],
          [base.readiness, over.readiness, out.readiness],
          [base.liveness, over.liveness, out.liveness],
        ] as (Json | undefined)[][]) {
          if (!r) continue;
          const kinds = kindsOf(r);
          expect(kinds.length).toBeLessThanOrEqual(1);
          const expected = o && kindsOf(o).length ? kindsOf(o) : b ? kindsOf(b) : [];
          expect(kinds).toEqual(expected);
          for (const k of kinds) expect(r[k]).toEqual((o && kindsOf(o).length ? o : b)![k]);
        }
      }),
    );
  });

  it("exclusive keys apply only at health paths: elsewhere maps still merge by key", () => {
    expect(layer({ services: { api: { env: { http: "1", command: "2" } } } }, { services: { api: { env: { http: "3" } } } })).toEqual({ services: { api: { env: { http: "3", command: "2" } } } });
    expect(layer({ other: { http: 1, command: 2 } }, { other: { http: 3 } })).toEqual({ other: { http: 3, command: 2 } });
  });
});

describe("health: null in an environment removes the check", () => {
  it("layering keeps null, and the model has no health for the service", () => {
    expect(layer({ services: { api: { health: { command: ["x"] } } } }, { services: { api: { health: null } } })).toEqual({ services: { api: { health: null } } });
    const m = model(miniApp(), "dev", dockerEnv({ services: { api: { health: null } } }));
    expect(m.services.find((s) => s.name === "api")!.health).toBeUndefined();
    expect(m.services.find((s) => s.name === "web")!.health).toBeDefined();
  });

  it("removing a public service's check in a mandatory environment is reported by ENVK-HLT-002", () => {
    expect(errorText(miniApp(), staging({ web: { replicas: 2, health: null } }))).toMatch(/services\.web\.health: \[ENVK-HLT-002\] public service "web" has no health check/);
  });

  it("removing an internal service's check in a mandatory environment (YAML) is reported by the JSON-pass ENVK-HLT-001", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "staging.yaml"), "\n  worker:\n", "\n  worker:\n    health: null\n");
    const r = cli("validate", "--config", dir, "--env", "staging");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ENVK-HLT-001.*worker|worker.*ENVK-HLT-001/);
  });

  it("health: null in an environment YAML file is accepted and explain names the file and line", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "dev.yaml"), "\n  worker:\n", "\n  worker:\n    health: null\n");
    const r = cli("explain", "--config", dir, "--env", "dev", "services.worker.health");
    expect(r.err).toBe("");
    const line = fs.readFileSync(path.join(dir, "environments", "dev.yaml"), "utf8").split("\n").indexOf("    health: null") + 1;
    expect(r.out).toMatch(new RegExp(`services\\.worker\\.health = null +# \\S*environments/dev\\.yaml:${line}`));
  });

  it("null is refused in app.yaml, where there is nothing to remove (an absent health says the same)", () => {
    expect(errorText(apiHealth(null), dev())).toMatch(/services\.api\.health/);
  });
});

describe("explain provenance for the new fields", () => {
  it("names the environment file for a tcp check that replaced the app's command, and the default for timings", () => {
    const dir = copyReferenceApp();
    const file = path.join(dir, "environments", "staging.yaml");
    edit(file, "\n  db:\n", "\n  db:\n    health:\n      tcp: { port: postgres }\n      liveness: { command: [pg_isready], retries: 5 }\n");
    const r = cli("explain", "--config", dir, "--env", "staging", "services.db.health");
    expect(r.err).toBe("");
    const line = fs.readFileSync(file, "utf8").split("\n").indexOf("      tcp: { port: postgres }") + 1;
    expect(r.out).toMatch(new RegExp(`services\\.db\\.health\\.tcp\\.port = "postgres" +# \\S*environments/staging\\.yaml:${line}\\n`));
    expect(r.out).toMatch(new RegExp(`services\\.db\\.health\\.liveness\\.retries = 5 +# \\S*environments/staging\\.yaml:${line + 1}\\n`));
    expect(r.out).toMatch(/services\.db\.health\.interval = "10s" +# default \(lib\/config\/defaults\.ts/);
    // The app's command check (app.yaml) is gone, not shown next to the tcp check.
    expect(r.out).not.toMatch(/services\.db\.health\.command =/);
  });
});

describe("validation: every health rule with a failing input matching its message", () => {
  it.each<[string, unknown, RegExp]>([
    ["two kinds (http and tcp)", { http: { path: "/", port: "http" }, tcp: { port: "http" } }, /services\.api\.health: set either http or tcp, not both: a health check has exactly one kind \(http, tcp, grpc or command\)/],
    ["three kinds", { tcp: { port: "http" }, grpc: { port: "grpc" }, command: ["x"] }, /services\.api\.health: set one of tcp, grpc, command, not 3: a health check has exactly one kind/],
    ["two kinds in a role", { http: { path: "/", port: "http" }, readiness: { tcp: { port: "http" }, command: ["x"] } }, /services\.api\.health\.readiness: set either tcp or command, not both/],
    ["probe with tool and command", { tcp: { port: "http" }, probe: { tool: "nc", command: ["x"] } }, /services\.api\.health\.probe: set either tool or command, not both: command replaces the tool's command line/],
    ["a probe tool envkit does not know", { tcp: { port: "http" }, probe: { tool: "netcat" } }, /services\.api\.health\.probe\.tool: .*"nc"/],
    ["a gRPC service name with a shell character", { grpc: { port: "grpc", service: "a;rm -rf" } }, /services\.api\.health\.grpc\.service: must be a protobuf service name such as "grpc\.health\.v1\.Health"/],
    ["an unknown key in a role", { http: { path: "/", port: "http" }, readiness: { startPeriod: "5s" } }, /services\.api\.health\.readiness\.startPeriod: unknown key "startPeriod"; allowed keys: command, grpc, http, interval, retries, tcp, timeout/],
    ["an empty probe command", { tcp: { port: "http" }, probe: { command: [] } }, /services\.api\.health\.probe\.command: a list of 0 items is shorter than the minimum of 1 item/],
    ["a tcp check on an unknown port", { tcp: { port: "htp" } }, /services\.api\.health\.tcp\.port: port "htp" is not a port of "api" \(did you mean "http"\?\); declared ports: http, grpc, dns/],
    ["a grpc check on a UDP port", { grpc: { port: "dns" } }, /services\.api\.health\.grpc\.port: port "dns" of "api" is UDP, and a grpc check connects over TCP; name a TCP port/],
    ["an http check on a UDP port", { http: { path: "/", port: "dns" } }, /services\.api\.health\.http\.port: port "dns" of "api" is UDP, and a http check connects over TCP/],
    ["a role's check on an unknown port", { http: { path: "/", port: "http" }, startup: { tcp: { port: "grcp" } } }, /services\.api\.health\.startup\.tcp\.port: port "grcp" is not a port of "api" \(did you mean "grpc"\?\)/],
    ["no kind at all", { interval: "5s" }, /services\.api\.health: a health check needs one of "http: \{ path, port \}", "tcp: \{ port \}", "grpc: \{ port \}", "command: \[\.\.\.\]"/],
    ["roles without a check and no service-wide one", { readiness: { tcp: { port: "http" } } }, /services\.api\.health: liveness and startup have no check: set one of .* in health \(for every role\) or in health\.liveness/],
    ["a role's bad duration", { http: { path: "/", port: "http" }, liveness: { interval: "ten" } }, /services\.api\.health\.liveness\.interval: "ten" is not a duration/],
    ["a probe where every check is a command", { command: ["x"], probe: { tool: "curl" } }, /services\.api\.health\.probe: probe runs an http, tcp or grpc check inside the container, and every check of "api" is a command, which runs there already; remove probe/],
  ])("%s", (_what, health, message) => {
    expect(errorText(apiHealth(health), staging())).toMatch(message);
  });

  it("the same two-kinds rule applies in an environment file's overlay", () => {
    expect(errorText(miniApp(), dev({ api: { health: { http: { path: "/", port: "http" }, grpc: { port: "http" } } } }))).toMatch(/services\.api\.health: set either http or grpc, not both/);
  });

  it("every role given its own check needs no service-wide one", () => {
    const health = { readiness: { tcp: { port: "http" } }, liveness: { grpc: { port: "grpc", service: "shop.Api" } }, startup: { command: ["/started"] } };
    expect(errorText(apiHealth(health), staging())).toBe("");
  });
});
