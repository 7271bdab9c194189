import * as path from "node:path";
import { ConfigSource, mergeEnvironmentIssues, resolveAll } from "../../lib/config/resolve";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { ConfigIssue, formatIssue } from "../../lib/errors";
import { ServiceModel } from "../../lib/model/environment";
import { validateSource } from "../../lib/pipeline";
import { kubernetesTarget } from "../../lib/targets/kubernetes/kubernetes-target";
import { serviceEnvironment } from "../../lib/targets/shared/service-env";
import { cli, copyReferenceApp, dockerEnv, edit, k8sEnv, miniApp, model, resolve } from "../helpers";

/*
 * What providers and clusters reject at apply time (or accept and then grind on) is rejected by
 * `envkit validate`, once, at the line that causes it.
 */

type Envs = Record<string, EnvironmentConfig>;

/** Every error line (formatted), config, target and guardrail alike. */
function errorsOf(app: AppConfig, envs: Envs): string[] {
  return resolve(app, envs)
    .issues.filter((i) => i.severity !== "warning")
    .map(formatIssue);
}
const errorText = (app: AppConfig, envs: Envs): string => errorsOf(app, envs).join("\n");

/** The mini app with one service patched. */
const svc = (name: string, patch: Record<string, unknown>): AppConfig => {
  const app = miniApp();
  return { ...app, services: { ...app.services, [name]: { ...app.services[name], ...patch } as AppConfig["services"][string] } };
};
const dev: Envs = { dev: dockerEnv() };
const staging: Envs = { staging: k8sEnv() };
const two: Envs = { dev: dockerEnv(), test: dockerEnv({ network: { subnet: "10.211.0.0/16" } }) };

describe("replicas and ports within real ranges", () => {
  it("rejects 10^9 replicas (it ran unbounded) on any target, naming the bound", () => {
    for (const envs of [dev, staging]) {
      expect(errorText(svc("api", { replicas: 1e9 }), envs)).toMatch(/<app>: services\.api\.replicas: at most 1000 replicas per service; more is a typo, not a workload \(got 1000000000\)/);
    }
  });

  it("accepts 1000 replicas on Kubernetes (no replicas error)", () => {
    expect(errorText(svc("api", { replicas: 1000 }), staging)).not.toMatch(/services\.api\.replicas/);
  });

  it("rejects 21 replicas on Docker (each is a container on one host; 20,000 wrote 60 MB of JSON)", () => {
    expect(errorText(svc("api", { replicas: 21 }), dev)).toMatch(/<app>: services\.api\.replicas: 21 replicas of "api" on Docker would be 21 containers on one host; use at most 20 on Docker \(or a Kubernetes target\)/);
  });

  it("accepts 20 replicas on Docker", () => {
    expect(errorText(svc("api", { replicas: 20 }), dev)).not.toMatch(/containers on one host/);
  });

  it("rejects an autoscaling maximum beyond the replica bound", () => {
    expect(errorText(svc("api", { autoscaling: { minReplicas: 2, maxReplicas: 5000 } }), staging)).toMatch(/services\.api\.autoscaling\.maxReplicas: at most 1000 replicas per service; more is a typo, not a workload \(got 5000\)/);
  });

  it("rejects an autoscaling minimum beyond the replica bound", () => {
    expect(errorText(svc("api", { autoscaling: { minReplicas: 1001, maxReplicas: 1000 } }), staging)).toMatch(/services\.api\.autoscaling\.minReplicas: at most 1000 replicas per service/);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ["a port above 65535", { port: 70000 }, /services\.web\.ports\.http\.port: ports are 1-65535 \(got 70000\)/],
    ["port 0", { port: 0 }, /services\.web\.ports\.http\.port: ports are 1-65535 \(got 0\)/],
    ["a host port above 65535", { port: 8080, hostPort: 70000 }, /services\.web\.ports\.http\.hostPort: ports are 1-65535 \(got 70000\)/],
    ["host port 0", { port: 8080, hostPort: 0 }, /services\.web\.ports\.http\.hostPort: ports are 1-65535 \(got 0\)/],
  ])("rejects %s", (_what, port, message) => {
    expect(errorText(svc("web", { ports: [{ name: "http", ...port }] }), dev)).toMatch(message);
  });
});

describe("CPU and memory within sane maxima, rendered in the target's notation", () => {
  it("rejects a 10^28-byte memory (it was emitted as 1.024e+28), naming the 1Pi bound", () => {
    expect(errorText(svc("api", { resources: { memory: "10000000000000000000000000000" } }), dev)).toMatch(/services\.api\.resources\.memory: "10000000000000000000000000000" is above the maximum for a container \(1Pi\); use at most "1Pi"/);
  });

  it("rejects a memory given as the number 1e28", () => {
    expect(errorText(svc("api", { resources: { memory: 1e28 } }), dev)).toMatch(/services\.api\.resources\.memory: "1e\+28" is not a memory quantity/);
  });

  it("rejects a memory limit above 1Pi", () => {
    expect(errorText(svc("api", { resources: { memory: "1Gi", memoryLimit: "2Pi" } }), dev)).toMatch(/services\.api\.resources\.memoryLimit: "2Pi" is above the maximum for a container \(1Pi\)/);
  });

  it("rejects a container CPU above 1024 cores", () => {
    expect(errorText(svc("api", { resources: { cpu: "5000" } }), dev)).toMatch(/services\.api\.resources\.cpu: "5000" is above the maximum for a container \(1024 cores\); use at most "1024"/);
  });

  it("caps the default CPU limit at 1024 cores when the request is at the maximum", () => {
    const m = model(svc("api", { resources: { cpu: "1024" } }), "dev", dockerEnv());
    expect(m.services.find((s) => s.name === "api")!.resources.cpuLimitMillis).toBe(1_024_000);
  });

  it("rejects a volume larger than 1Pi", () => {
    expect(errorText(svc("db", { volumes: [{ name: "data", path: "/var/lib/postgresql/data", size: "2Pi" }] }), dev)).toMatch(/services\.db\.volumes\.data\.size: "2Pi" is above the maximum for a volume \(1Pi\)/);
  });

  it("allows a quota above the container bound, up to 4Pi", () => {
    const m = model(miniApp(), "staging", k8sEnv({ quota: { cpu: "5000", memory: "4Pi" } }));
    expect(m.quota).toMatchObject({ cpuMillis: 5_000_000, memoryBytes: 4 * 1024 ** 5 });
  });

  it("rejects a quota memory above 4Pi", () => {
    expect(errorText(miniApp(), { staging: k8sEnv({ quota: { memory: "5Pi" } }) })).toMatch(/<environment staging>: quota\.memory: "5Pi" is above the maximum for a quota \(4Pi\)/);
  });

  it("rejects a quota of a million pods", () => {
    expect(errorText(miniApp(), { staging: k8sEnv({ quota: { pods: 1_000_000 } }) })).toMatch(/quota\.pods: 1000000 is above the maximum 100000; use a whole number from 1 to 100000/);
  });
});

describe("names the cluster would reject", () => {
  it("rejects a port name longer than 15 characters (not an IANA service name)", () => {
    const app = svc("api", { ports: [{ name: "http-metrics-endpoint", port: 3000 }], health: undefined, connections: [] });
    expect(errorText(app, dev)).toMatch(/services\.api\.ports\.http-metrics-endpoint\.name: port name "http-metrics-endpoint" is 21 characters \(the limit is 15\); port names are IANA service names.*e\.g\. "http-metrics-en"/);
  });

  it("rejects a port name without a letter", () => {
    expect(errorText(svc("api", { ports: [{ name: "8080", port: 3000 }], health: undefined }), dev)).toMatch(/port name "8080" has no letter.*e\.g\. "port-8080"/);
  });

  it("rejects a port name with a doubled dash", () => {
    expect(errorText(svc("api", { ports: [{ name: "http--alt", port: 3000 }], health: undefined }), dev)).toMatch(/port name "http--alt" contains "--"/);
  });

  const nineCache = (): AppConfig => ({ ...miniApp(), services: { ...miniApp().services, "9cache": { image: "docker.io/library/redis", ports: [{ name: "redis", port: 6379 }] } } });
  const release9 = (e: EnvironmentConfig): EnvironmentConfig => ({ ...e, release: { ...e.release, "9cache": (e.release as Record<string, string>).db } });

  it("rejects a Kubernetes service whose name starts with a digit (not a DNS-1035 label), with the fix", () => {
    expect(errorText(nineCache(), { staging: release9(k8sEnv()) })).toMatch(/<app>: services\.9cache: service name "9cache" does not start with a letter, and a Kubernetes Service name is a DNS-1035 label .*; rename it, e\.g\. "svc-9cache"/);
  });

  it("accepts the same name on Docker, where container names may start with a digit", () => {
    expect(errorText(nineCache(), { dev: release9(dockerEnv()) })).not.toMatch(/DNS-1035/);
  });

  it("rejects a service whose derived Kubernetes names would exceed 63 characters (adapter check)", () => {
    const m = model(miniApp(), "staging", k8sEnv());
    const long = "a".repeat(50);
    const services = m.services.map((s) => (s.name === "db" ? ({ ...s, name: long, backup: undefined } as ServiceModel) : s));
    const issues = kubernetesTarget.validate({ ...m, services });
    expect(issues.map((i) => i.message).join("\n")).toMatch(new RegExp(`the Kubernetes name "${long}-config-0123456789" derived from service "${long}" would be 68 characters \\(limit 63\\); shorten the service name by 5`));
  });

  it("rejects a service named <stateful>-headless on Kubernetes (two Services of one name)", () => {
    const app: AppConfig = { ...miniApp(), services: { ...miniApp().services, "db-headless": { image: "acme/x", ports: [{ name: "pg", port: 5432 }] } } };
    const env = k8sEnv();
    expect(errorText(app, { staging: { ...env, release: { ...env.release, "db-headless": (env.release as Record<string, string>).db } } })).toMatch(/the Service "db-headless" of "db-headless" has the same name as the headless Service of "db"; rename one of the services/);
  });

  it("rejects a volume named like one of envkit's own mounts", () => {
    expect(errorText(svc("db", { volumes: [{ name: "secrets", path: "/var/lib/postgresql/data" }] }), dev)).toMatch(/services\.db\.volumes\.secrets: volume name "secrets" is reserved for envkit's own mounts \("secrets", "writable-<n>"\); rename the volume/);
  });
});

describe("seccomp profiles and capabilities", () => {
  const sec = (security: Record<string, unknown>): string => errorText(svc("api", { security }), dev);

  it("rejects an unknown seccomp profile with a did-you-mean", () => {
    expect(sec({ seccompProfile: "runtime/default" })).toMatch(/services\.api\.security\.seccompProfile: "runtime\/default" is not a seccomp profile \(did you mean "RuntimeDefault"\?\); use "RuntimeDefault", "Unconfined", "Localhost\/<profile>"/);
  });

  it("rejects a Localhost profile with an absolute path", () => {
    expect(sec({ seccompProfile: "Localhost//etc/seccomp.json" })).toMatch(/"Localhost\/\/etc\/seccomp\.json": a Localhost profile is a relative path below the node's seccomp folder/);
  });

  it("rejects a Localhost profile that climbs out with ..", () => {
    expect(sec({ seccompProfile: "Localhost/../../etc/x.json" })).toMatch(/a Localhost profile is a relative path below the node's seccomp folder, without "\.\."/);
  });

  it("rejects a lowercase localhost/ prefix and suggests the spelling", () => {
    expect(sec({ seccompProfile: "localhost/profiles/api.json" })).toMatch(/"localhost\/profiles\/api\.json" is not a seccomp profile \(did you mean "Localhost\/profiles\/api\.json"\?\)/);
  });

  it("accepts the three forms", () => {
    // Docker takes RuntimeDefault and Unconfined; a Localhost profile is a Kubernetes form (Docker refuses it, tested with the Docker adapter).
    for (const p of ["RuntimeDefault", "Unconfined"]) expect(sec({ seccompProfile: p })).not.toMatch(/seccompProfile/);
    expect(sec({ seccompProfile: "Localhost/profiles/api.json" })).not.toMatch(/is not a seccomp profile|relative path below/);
  });

  it("rejects a CAP_-prefixed capability (Kubernetes rejects it) with the bare name", () => {
    expect(sec({ addCapabilities: ["CAP_NET_BIND_SERVICE"] })).toMatch(/services\.api\.security\.addCapabilities\.0: write "NET_BIND_SERVICE" without the CAP_ prefix \(Kubernetes rejects the prefix; Docker accepts both\)/);
  });

  it("rejects a lowercase capability with a did-you-mean", () => {
    expect(sec({ dropCapabilities: ["all", "net_raw"] })).toMatch(/dropCapabilities\.1: "net_raw" is not a Linux capability \(did you mean "NET_RAW"\?\)/);
  });

  it("rejects a misspelt capability with a did-you-mean", () => {
    expect(sec({ addCapabilities: ["NET_ADMN"] })).toMatch(/"NET_ADMN" is not a Linux capability \(did you mean "NET_ADMIN"\?\); write capability names in capitals without CAP_/);
  });

  it("rejects a capability listed twice", () => {
    expect(sec({ addCapabilities: ["NET_ADMIN", "NET_ADMIN"] })).toMatch(/addCapabilities\.1: capability "NET_ADMIN" is listed twice; remove the repeat/);
  });

  it("accepts ALL and real capability names", () => {
    expect(sec({ dropCapabilities: ["ALL"], addCapabilities: ["NET_BIND_SERVICE", "CHECKPOINT_RESTORE"] })).not.toMatch(/Capabilities/);
  });
});

describe("docker.publishAddress and docker.host", () => {
  it("rejects 999.1.1.1 (it passed the old regex)", () => {
    expect(errorText(miniApp(), { dev: dockerEnv({ docker: { publishAddress: "999.1.1.1" } }) })).toMatch(/<environment dev>: docker\.publishAddress: "999\.1\.1\.1" is not an IPv4 address; each of the four numbers is 0-255 without leading zeros/);
  });

  it("accepts an IPv6 loopback", () => {
    expect(errorText(miniApp(), { dev: dockerEnv({ docker: { publishAddress: "::1" } }) })).not.toMatch(/publishAddress/);
  });

  it.each<[string, string, "advisory" | "mandatory"]>([
    ["a tcp:// host with user and password, advisory", "tcp://admin:hunter2@docker.internal:2376", "advisory"],
    ["a tcp:// host with user and password, mandatory", "tcp://admin:hunter2@docker.internal:2376", "mandatory"],
    ["an ssh:// host with a password, advisory", "ssh://deploy:hunter2@docker.internal", "advisory"],
  ])("rejects %s without echoing the password", (_what, host, enforcement) => {
    const text = errorText(miniApp(), { qa: dockerEnv({ docker: { host }, policy: { enforcement } }) });
    expect(text).toMatch(/<environment qa>: docker\.host: ".*:\*\*\*@docker\.internal.*" embeds a password, which would be written into the synthesized JSON and the state; remove it from the address/);
    expect(text).not.toContain("hunter2");
  });

  it("accepts ssh://user@host (key or agent authentication)", () => {
    expect(errorText(miniApp(), { dev: dockerEnv({ docker: { host: "ssh://deploy@docker.internal" } }) })).not.toMatch(/docker\.host/);
  });
});

describe("writable paths and volume paths that would collide at create", () => {
  const db = (patch: Record<string, unknown>): string => errorText(svc("db", patch), dev);

  it('rejects "/" as a writable path', () => {
    expect(db({ writablePaths: ["/"] })).toMatch(/services\.db\.writablePaths\.0: "\/" cannot be mounted over \(it would hide the whole image\)/);
  });

  it("rejects a writable path with ..", () => {
    expect(db({ writablePaths: ["/tmp/../etc"] })).toMatch(/services\.db\.writablePaths\.0: "\/tmp\/\.\.\/etc" is not a normalised path .*; write "\/etc"/);
  });

  it("rejects a writable path listed twice", () => {
    expect(db({ writablePaths: ["/tmp", "/tmp"] })).toMatch(/services\.db\.writablePaths\.1: writable path "\/tmp" is listed twice/);
  });

  it("rejects a writable path equal to a volume path", () => {
    expect(db({ writablePaths: ["/tmp", "/var/lib/postgresql/data"] })).toMatch(/services\.db\.writablePaths\.1: "\/var\/lib\/postgresql\/data" is inside volume "data" \(\/var\/lib\/postgresql\/data\), which is writable already; remove it from writablePaths/);
  });

  it("rejects a writable path nested in a volume path", () => {
    expect(db({ writablePaths: ["/var/lib/postgresql/data/tmp"] })).toMatch(/writablePaths\.0: "\/var\/lib\/postgresql\/data\/tmp" is inside volume "data"/);
  });

  it("accepts a writable path that only shares a prefix with a volume path", () => {
    expect(db({ writablePaths: ["/var/lib/postgresql/data2"] })).not.toMatch(/writablePaths/);
  });

  it("rejects a writable path in /run/secrets", () => {
    expect(db({ writablePaths: ["/run/secrets/x"] })).toMatch(/writablePaths\.0: "\/run\/secrets\/x" is inside \/run\/secrets, where envkit mounts the service's secrets/);
  });

  it("reports a volume over the default writable path at the volume, with the fix", () => {
    expect(db({ volumes: [{ name: "data", path: "/tmp" }] })).toMatch(/<app>: services\.db\.volumes\.data\.path: volume "data" at "\/tmp" covers the default writable path "\/tmp".*set writablePaths to the folders the image writes to outside the volume/);
  });

  it('rejects "/" as a volume path', () => {
    expect(db({ volumes: [{ name: "data", path: "/" }] })).toMatch(/services\.db\.volumes\.data\.path: "\/" cannot be mounted over/);
  });

  it("rejects a volume in /run/secrets", () => {
    expect(db({ volumes: [{ name: "data", path: "/run/secrets" }] })).toMatch(/volumes\.data\.path: path "\/run\/secrets" is inside \/run\/secrets/);
  });
});

describe("duplicates", () => {
  it("rejects a secret listed twice", () => {
    expect(errorText(svc("api", { secrets: ["api_token", "api_token"] }), dev)).toMatch(/services\.api\.secrets\.1: secret "api_token" is listed twice; remove the repeat/);
  });

  it("rejects two volumes of one name in one list", () => {
    const volumes = [{ name: "data", path: "/a" }, { name: "data", path: "/b" }];
    expect(errorText(svc("db", { volumes }), dev)).toMatch(/<app>: services\.db\.volumes\.data: volume "data" is declared twice in this list; merge the two items or rename one/);
  });

  it("rejects two ports of one name in an environment file", () => {
    const env = dockerEnv({ services: { api: { ports: [{ name: "http", port: 3001 }, { name: "http", port: 3002 }] } } });
    expect(errorText(miniApp(), { dev: env })).toMatch(/<environment dev>: services\.api\.ports\.http: port "http" is declared twice in this list/);
  });

  it("rejects two volumes on one path after layering", () => {
    const env = dockerEnv({ services: { db: { volumes: [{ name: "logs", path: "/var/lib/postgresql/data" }] } } });
    expect(errorText(miniApp(), { dev: env })).toMatch(/services\.db\.volumes\.logs\.path: path "\/var\/lib\/postgresql\/data" is also the path of volume "data"; each volume needs its own folder/);
  });

  it("rejects one port number declared twice after layering", () => {
    const env = dockerEnv({ services: { api: { ports: [{ name: "admin", port: 3000 }] } } });
    expect(errorText(miniApp(), { dev: env })).toMatch(/<environment dev>: services\.api\.ports\.admin\.port: port 3000\/tcp of "admin" is also declared as "http"/);
  });

  it("accepts one number on TCP and UDP", () => {
    const env = dockerEnv({ services: { api: { ports: [{ name: "dns-udp", port: 3000, protocol: "udp" }] } } });
    expect(errorText(miniApp(), { dev: env })).not.toMatch(/is also declared/);
  });

  it("rejects duplicate named items in the YAML file where they appear, at the repeat's line", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "app.yaml"), "      - name: data\n        path: /data\n", "      - name: data\n        path: /data\n      - name: data\n        path: /data2\n");
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    const lines = r.err.split("\n").filter((l) => l.includes("declared twice"));
    expect(lines).toEqual([expect.stringMatching(/app\.yaml:\d+: services\.cache\.volumes\.data: volume "data" is declared twice in this list/)]);
  });
});

describe("environment variables envkit generates", () => {
  it("rejects APP_ENV in app.yaml, once for every environment", () => {
    const errors = errorsOf(svc("api", { env: { APP_ENV: "production" } }), two).filter((l) => l.includes("APP_ENV"));
    expect(errors).toEqual(["<app>: services.api.env.APP_ENV: \"APP_ENV\" is reserved: envkit sets it to the environment's name, and a value here would hide it; remove it from env (read APP_ENV in the application instead)"]);
  });

  it("rejects <SECRET>_FILE for a secret of the service (the user value silently won over the secret's path)", () => {
    expect(errorText(svc("api", { env: { API_TOKEN_FILE: "/etc/token" } }), dev)).toMatch(/services\.api\.env\.API_TOKEN_FILE: "API_TOKEN_FILE" is reserved: envkit sets it to the file of secret "api_token" \(\/run\/secrets\/api_token\), and a value here would hide it; remove it from env/);
  });

  it("accepts <NAME>_FILE for a secret the service does not have", () => {
    expect(errorText(svc("web", { env: { API_TOKEN_FILE: "/etc/token" } }), dev)).not.toMatch(/is reserved/);
  });

  it("never lets a configured value replace a generated one (model built without validation)", () => {
    const m = model(miniApp(), "dev", dockerEnv());
    const api = m.services.find((s) => s.name === "api")!;
    const vars = serviceEnvironment(m, { ...api, env: { APP_ENV: "x", API_TOKEN_FILE: "/tmp/fake", LOG_LEVEL: "debug" } }, (n) => `/run/secrets/${n}`);
    expect(vars).toEqual({ APP_ENV: "dev", API_TOKEN_FILE: "/run/secrets/api_token", LOG_LEVEL: "debug" });
  });
});

describe("each problem once, at its cause", () => {
  it("reports an invalid image in app.yaml once, at its app.yaml line (it gave 4 errors)", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "app.yaml"), "image: ghcr.io/acme/shop-api", 'image: "Ghcr.io/Acme/API"');
    const r = cli("validate", "--config", dir);
    const lines = r.err.split("\n").filter((l) => l.includes(".yaml"));
    expect(lines).toEqual([expect.stringMatching(/app\.yaml:\d+: services\.api\.image: "Ghcr\.io\/Acme\/API" is not a valid image repository: repositories are lowercase; write "ghcr\.io\/acme\/api"$/)]);
  });

  it("reports a tag in app.yaml's image once, saying it belongs in release", () => {
    const errors = errorsOf(svc("api", { image: "ghcr.io/acme/api:1.0" }), { ...two, staging: k8sEnv() }).filter((l) => l.includes("image"));
    expect(errors).toEqual([expect.stringMatching(/^<app>: services\.api\.image: "ghcr\.io\/acme\/api:1\.0" includes a tag or digest; image is the repository only/)]);
  });

  it("reports an app.yaml problem found in every environment once, without naming one", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "app.yaml"), "      DB_USER: shop\n      REDIS_HOST", "      DB_USER: shop\n      DB_PASSWORD: hunter2\n      REDIS_HOST");
    const lines = cli("validate", "--config", dir).err.split("\n").filter((l) => l.includes("[ENVK-SEC-001]"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("in environment");
  });

  it("names the environment when an app.yaml line is wrong only with that environment's overlay", () => {
    const app = svc("api", { env: { DB_PASSWORD_FILE: "/etc/pw" } });
    const envs: Envs = { ...two, dev: dockerEnv({ services: { api: { secrets: ["api_token", "db_password"] } } }) };
    expect(errorsOf(app, envs).filter((l) => l.includes("DB_PASSWORD_FILE"))).toEqual([
      `<app>: services.api.env.DB_PASSWORD_FILE: in environment "dev": "DB_PASSWORD_FILE" is reserved: envkit sets it to the file of secret "db_password" (/run/secrets/db_password), and a value here would hide it; remove it from env (read DB_PASSWORD_FILE in the application instead)`,
    ]);
  });

  it("names every environment concerned when several but not all are", () => {
    const app = svc("api", { env: { DB_PASSWORD_FILE: "/etc/pw" } });
    const withSecret = { services: { api: { secrets: ["api_token", "db_password"] } } };
    const envs: Envs = { dev: dockerEnv(withSecret), test: dockerEnv({ ...withSecret, network: { subnet: "10.211.0.0/16" } }), staging: k8sEnv() };
    expect(errorsOf(app, envs).filter((l) => l.includes("DB_PASSWORD_FILE"))).toEqual([expect.stringMatching(/^<app>: services\.api\.env\.DB_PASSWORD_FILE: in environments "dev", "test": "DB_PASSWORD_FILE" is reserved/)]);
  });

  describe("mergeEnvironmentIssues", () => {
    const shared: ConfigIssue = { file: "app.yaml", line: 3, path: "services.api.env.X", message: "bad" };
    const own = (env: string): ConfigIssue => ({ file: `environments/${env}.yaml`, line: 3, path: "release.api", message: "bad" });

    it("merges identical issues of several environments into one", () => {
      const out = mergeEnvironmentIssues([
        { env: "dev", file: "environments/dev.yaml", checked: true, issues: [shared] },
        { env: "prod", file: "environments/prod.yaml", checked: true, issues: [shared] },
      ]);
      expect(out).toEqual([shared]);
    });

    it("keeps issues of each environment's own file as they are", () => {
      const out = mergeEnvironmentIssues([
        { env: "dev", file: "environments/dev.yaml", checked: true, issues: [own("dev")] },
        { env: "prod", file: "environments/prod.yaml", checked: true, issues: [] },
      ]);
      expect(out).toEqual([own("dev")]);
    });

    it("does not count environments whose checks did not run (they failed their own schema)", () => {
      const out = mergeEnvironmentIssues([
        { env: "dev", file: "environments/dev.yaml", checked: true, issues: [shared] },
        { env: "prod", file: "environments/prod.yaml", checked: false, issues: [own("prod")] },
      ]);
      expect(out).toEqual([shared, own("prod")]);
    });

    it("keeps a warning and an error with the same text apart", () => {
      const out = mergeEnvironmentIssues([
        { env: "dev", file: "environments/dev.yaml", checked: true, issues: [shared, { ...shared, severity: "warning" }] },
        { env: "prod", file: "environments/prod.yaml", checked: true, issues: [shared, { ...shared, severity: "warning" }] },
      ]);
      expect(out).toHaveLength(2);
    });
  });
});

describe("names that Object.prototype also has (they crashed resolution)", () => {
  /** A source as a TypeScript caller may build it, without the document checks of load.ts. */
  function rawSource(app: unknown, envs: Record<string, unknown>): ConfigSource {
    const names = Object.keys(envs).sort();
    return { app: { file: "<app>", data: app, lines: new Map() }, environments: new Map(names.map((n) => [n, { file: `<environment ${n}>`, data: envs[n], lines: new Map() }])) };
  }
  /** `{ ...obj, [key]: value }` with `key` an own property even when it is `__proto__`. */
  function withKey<T extends object>(obj: T, key: string, value: unknown): T {
    const out = { ...obj };
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    return out;
  }
  const errorLines = (source: ConfigSource): string => {
    const r = validateSource(source);
    return r.issues.filter((i) => i.severity !== "warning").map(formatIssue).join("\n");
  };
  const NAMES = ["constructor", "toString", "__proto__", "hasOwnProperty"];
  // A Map: in an object literal, `__proto__:` would set the prototype (the bug under test).
  const expected = new Map<string, RegExp>([
    ["constructor", /"constructor" cannot name a service: it is a built-in property of JavaScript objects/],
    ["toString", /service name "toString" is not a DNS-1123 label/],
    ["hasOwnProperty", /service name "hasOwnProperty" is not a DNS-1123 label/],
    ["__proto__", /services\.__proto__: the key "__proto__" is not accepted/],
  ]);

  it.each(NAMES)("a service named %p (with no release) is a clean error, not a crash", (name) => {
    const app = miniApp();
    const source = rawSource({ ...app, services: withKey(app.services, name, { image: "acme/x" }) }, { dev: dockerEnv() });
    expect(errorLines(source)).toMatch(expected.get(name)!);
  });

  it.each(NAMES)("a service named %p with a release is a clean error, not a crash", (name) => {
    const app = miniApp();
    const env = dockerEnv();
    const source = rawSource({ ...app, services: withKey(app.services, name, { image: "acme/x" }) }, { dev: { ...env, release: withKey(env.release!, name, "1.0.0") } });
    expect(errorLines(source)).toMatch(expected.get(name)!);
  });

  it.each(NAMES)("an environment named %p is a clean error, not a crash", (name) => {
    const text = errorLines(rawSource(miniApp(), withKey({}, name, dockerEnv({ network: undefined }))));
    expect(text).toMatch(new RegExp(`environment name \\(from the file name\\): "${name}"`));
  });

  it.each(NAMES)("a secret named %p is a clean error, not a crash", (name) => {
    const text = errorLines(rawSource(svc("api", { secrets: [name] }), { dev: dockerEnv() }));
    expect(text).toMatch(name === "constructor" ? /services\.api\.secrets\.0: "constructor" cannot name a secret/ : /services\.api\.secrets\.0: secret names are lowercase letters/);
  });

  it.each(NAMES)("a release for an undeclared service %p is reported as such", (name) => {
    const env = dockerEnv();
    const text = errorLines(rawSource(miniApp(), { dev: { ...env, release: withKey(env.release!, name, "1.0.0") } }));
    expect(text).toMatch(name === "__proto__" ? /release\.__proto__: the key "__proto__" is not accepted/ : new RegExp(`release\\.${name}: pins a release for "${name}", which app.yaml does not define`));
  });

  it("a secret revision for an undeclared secret named constructor is reported as such", () => {
    const source = rawSource(miniApp(), { dev: dockerEnv({ secretRevisions: { constructor: 2 } }) });
    expect(errorLines(source)).toMatch(/secretRevisions\.constructor: "constructor" is not a secret of any service/);
  });

  it("resolves an application whose objects lack Object.prototype (Object.create(null) maps)", () => {
    const bare = <T extends object>(o: T): T => Object.assign(Object.create(null) as T, o);
    const app = miniApp();
    const env = dockerEnv();
    const r = resolveAll(rawSource({ ...app, services: bare(app.services) }, { dev: { ...env, release: bare(env.release!) } }));
    expect(r.issues.filter((i) => i.severity !== "warning")).toEqual([]);
    expect(r.environments[0].model.services.map((s) => s.name)).toEqual(["web", "api", "db"]);
  });
});
