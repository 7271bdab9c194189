import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { findSecretLiterals } from "../../lib/targets/inspect";
import { inspectDockerStack } from "../../lib/targets/docker/docker-inspect";
import { validateDir } from "../../lib/pipeline";
import { dockerEnv, k8sEnv, miniApp, resolve, resolveOne, resourcesOf, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NGINX = "server {\n  listen 8080;\n  location / { proxy_pass http://api:3000; }\n}\n";
const withFiles = (files: NonNullable<AppConfig["services"][string]["files"]>, over: Partial<AppConfig["services"][string]> = {}): AppConfig => {
  const a = miniApp();
  return { ...a, services: { ...a.services, web: { ...a.services.web, files, ...over } } };
};
const swarmEnv = (over: Partial<EnvironmentConfig> = {}): EnvironmentConfig => ({ target: "swarm", release: { web: "1.0.0", api: "1.0.0", db: "16.4" }, network: { subnet: "10.230.0.0/16" }, policy: { enforcement: "advisory" }, ...over }) as EnvironmentConfig;
const synth = (a: AppConfig, env: EnvironmentConfig, name = "e"): Json => synthJson([resolveOne(a, name, env)]).get(name)!;
const errorsOf = (a: AppConfig, env: EnvironmentConfig = dockerEnv()): string =>
  resolve(a, { e: env })
    .issues.filter((i) => i.severity !== "warning")
    .map(formatIssue)
    .join("\n");
const oneFile = [{ path: "/etc/nginx/conf.d/default.conf", content: NGINX }];

describe("config files on Kubernetes", () => {
  const json = synth(withFiles(oneFile), k8sEnv());
  const files = resourcesOf(json, "kubernetes_config_map_v1").filter((c) => /-files-/.test(c.metadata.name));
  const deployment = resourcesOf(json, "kubernetes_deployment_v1").find((d) => d.metadata.name === "web")!;

  it("puts them in one immutable ConfigMap named by their content hash", () => {
    expect(files).toHaveLength(1);
    expect(files[0].metadata.name).toMatch(/^web-files-[0-9a-f]{10}$/);
    expect(files[0].immutable).toBe(true);
    expect(Object.values(files[0].data)).toEqual([NGINX]);
  });

  it("mounts each file read-only on its own path (subPath), so the image's other files stay", () => {
    const mount = deployment.spec.template.spec.container[0].volume_mount.find((m: Json) => m.mount_path === "/etc/nginx/conf.d/default.conf");
    expect(mount).toMatchObject({ read_only: true, sub_path: "file-0", name: "config-files" });
    const vol = deployment.spec.template.spec.volume.find((v: Json) => v.name === "config-files");
    expect(vol.config_map.default_mode).toBe("0444");
  });

  it("puts the hash in the pod template, so a change rolls the pods and a revert restores them", () => {
    const hash = files[0].metadata.name.slice("web-files-".length);
    expect(deployment.spec.template.metadata.annotations["envkit.dev/files-hash"]).toBe(hash);
    const changed = synth(withFiles([{ ...oneFile[0], content: `${NGINX}# v2\n` }]), k8sEnv());
    const changedName = resourcesOf(changed, "kubernetes_config_map_v1").find((c) => /-files-/.test(c.metadata.name))!.metadata.name;
    expect(changedName).not.toBe(files[0].metadata.name);
    const reverted = synth(withFiles(oneFile), k8sEnv());
    expect(resourcesOf(reverted, "kubernetes_config_map_v1").find((c) => /-files-/.test(c.metadata.name))!.metadata.name).toBe(files[0].metadata.name);
  });

  it("adds no ConfigMap or mount to a service without files", () => {
    const api = resourcesOf(json, "kubernetes_deployment_v1").find((d) => d.metadata.name === "api")!;
    expect(JSON.stringify(api)).not.toContain("config-files");
    expect(api.spec.template.metadata.annotations).toBeUndefined();
  });
});

describe("config files on Swarm", () => {
  const json = synth(withFiles(oneFile), swarmEnv());
  it("makes one docker_config per file, named by its hash, and mounts it at the path read-only", () => {
    const configs = resourcesOf(json, "docker_config");
    expect(configs).toHaveLength(1);
    expect(configs[0].name).toMatch(/^demo-e-web-file-0-[0-9a-f]{10}$/);
    expect(Buffer.from(configs[0].data, "base64").toString("utf8")).toBe(NGINX);
    expect(configs[0].lifecycle.create_before_destroy).toBe(true);
    const svc = resourcesOf(json, "docker_service").find((s) => s.name === "demo-e-web")!;
    expect(svc.task_spec.container_spec.configs).toEqual([expect.objectContaining({ file_name: "/etc/nginx/conf.d/default.conf", file_mode: 0o444, file_uid: "0" })]);
  });

  it("encodes the text as written, not Terraform's escapes of it", () => {
    const text = "x = ${HOME} %{y}\n";
    const configs = resourcesOf(synth(withFiles([{ path: "/etc/app/a.conf", content: text }]), swarmEnv()), "docker_config");
    expect(Buffer.from(configs[0].data, "base64").toString("utf8")).toBe(text);
  });
});

describe("config files on Docker", () => {
  const json = synth(withFiles([...oneFile, { path: "/etc/nginx/conf.d/extra.conf", content: "# extra\n" }]), dockerEnv());
  const web = resourcesOf(json, "docker_container").find((c) => /^demo-e-web-([0-9a-f]{8}-)?1$/.test(c.name))!;
  const seed = resourcesOf(json, "docker_container").find((c) => /^demo-e-web-files-seed(-[0-9a-f]{8})?$/.test(c.name))!;

  it("writes them through a never-started seed into a content-named volume per folder (the app's root stays read-only)", () => {
    expect(web.read_only).toBe(true);
    expect(seed).toMatchObject({ start: false, must_run: false, read_only: false, network_mode: "none" });
    expect(seed.upload).toEqual([
      { file: "/etc/nginx/conf.d/default.conf", content: NGINX, permissions: "0444" },
      { file: "/etc/nginx/conf.d/extra.conf", content: "# extra\n", permissions: "0444" },
    ]);
    const vols = resourcesOf(json, "docker_volume").filter((v) => /-files-/.test(v.name));
    expect(vols).toHaveLength(1);
    expect(vols[0].name).toMatch(/^demo-e-web-files-[0-9a-f]{10}-0$/);
    expect(web.mounts).toContainEqual(expect.objectContaining({ target: "/etc/nginx/conf.d", read_only: true, type: "volume" }));
  });

  it("replaces the containers with the seed, so a change (or a revert) reaches them", () => {
    expect(web.lifecycle.replace_triggered_by.some((r: string) => r.startsWith("docker_container.") && r.includes("files-seed"))).toBe(true);
  });

  it("refuses a file directly under / (its folder would have to be a volume)", () => {
    expect(errorsOf(withFiles([{ path: "/app.conf", content: "a\n" }]))).toMatch(/services\.web\.files\.0\.path: "\/app\.conf" is directly under "\/"/);
  });
});

describe("config file validation", () => {
  it("refuses a file that looks like a secret, without quoting it (ENVK-SEC-001)", () => {
    const msg = errorsOf(withFiles([{ path: "/etc/app/app.ini", content: "[db]\nhost = db\npassword = hunter2\n" }]));
    expect(msg).toMatch(/\[ENVK-SEC-001\] line 3 of content assigns a literal value to a secret-like key/);
    expect(msg).not.toContain("hunter2");
  });

  it("refuses a private key in a file", () => {
    expect(errorsOf(withFiles([{ path: "/etc/app/key.pem", content: "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n" }]))).toMatch(/line 1 of content holds a private key/);
  });

  it("refuses a file inside a writable path, the secrets folder or a volume", () => {
    expect(errorsOf(withFiles([{ path: "/tmp/a.conf", content: "a\n" }]))).toMatch(/overlaps writable path "\/tmp"/);
    expect(errorsOf(withFiles([{ path: "/run/secrets/a", content: "a\n" }]))).toMatch(/inside \/run\/secrets/);
    const a = miniApp();
    const db = { ...a.services.db, files: [{ path: "/var/lib/postgresql/data/pg.conf", content: "a\n" }] };
    expect(errorsOf({ ...a, services: { ...a.services, db } })).toMatch(/overlaps volume "data"/);
  });

  it("refuses two files on one path", () => {
    expect(errorsOf(withFiles([oneFile[0], oneFile[0]]))).toMatch(/is also the path of files\[0\]/);
  });

  it("refuses a file inside another file's path, in either order (a file cannot hold another; apply or start failed)", () => {
    const outer = { path: "/etc/app", content: "a\n" };
    const inner = { path: "/etc/app/extra.conf", content: "b\n" };
    const expected = /services\.web\.files\.1\.path: "\/etc\/app\/extra\.conf" is inside "\/etc\/app", and both are config files \(files\[0\] and files\[1\]\); a file cannot hold another: choose paths where neither is the other's folder/;
    expect(errorsOf(withFiles([outer, inner]))).toMatch(expected);
    expect(errorsOf(withFiles([inner, outer]))).toMatch(expected);
    // Siblings and a common prefix that is no folder are fine.
    expect(errorsOf(withFiles([outer, { path: "/etc/application.conf", content: "c\n" }]))).not.toMatch(/is inside/);
  });

  it("refuses a file with both content and source, or neither", () => {
    expect(errorsOf(withFiles([{ path: "/etc/a/b", content: "x", source: "a.conf" }]))).toMatch(/set exactly one of content .* or source/);
    expect(errorsOf(withFiles([{ path: "/etc/a/b" }]))).toMatch(/set exactly one of content/);
  });

  it("refuses a source that leaves the folder", () => {
    expect(errorsOf(withFiles([{ path: "/etc/a/b", source: "../x.conf" }]))).toMatch(/must be a relative path inside the application folder/);
    expect(errorsOf(withFiles([{ path: "/etc/a/b", source: "/etc/passwd" }]))).toMatch(/must be a relative path inside the application folder/);
  });

  it("refuses a source from objects (no application folder)", () => {
    expect(errorsOf(withFiles([{ path: "/etc/a/b", source: "files/a.conf" }]))).toMatch(/a source file needs an application folder/);
  });

  it("refuses more than 500 KiB of files in one service", () => {
    expect(errorsOf(withFiles([{ path: "/etc/a/big", content: "x".repeat(501 * 1024) }]))).toMatch(/over the 500 KiB a service may carry/);
  });
});

describe("config files from the application folder (source)", () => {
  const folder = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-files-"));
    fs.mkdirSync(path.join(dir, "environments"));
    fs.mkdirSync(path.join(dir, "files"));
    fs.writeFileSync(
      path.join(dir, "app.yaml"),
      ["name: demo", "services:", "  web:", "    image: ghcr.io/acme/web", "    ports: [{ name: http, port: 8080 }]", "    files:", "      - { path: /etc/nginx/conf.d/default.conf, source: files/default.conf }", ""].join("\n"),
    );
    fs.writeFileSync(path.join(dir, "environments", "dev.yaml"), "target: docker\nrelease: { web: '1.0.0' }\n");
    return dir;
  };
  const issuesOf = (dir: string): string =>
    validateDir(dir)
      .issues.filter((i) => i.severity !== "warning")
      .map(formatIssue)
      .join("\n");

  it("reads the file's text into the model", () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, "files", "default.conf"), NGINX);
    const p = validateDir(dir);
    expect(p.environments[0].model.services[0].files).toEqual([{ path: "/etc/nginx/conf.d/default.conf", content: NGINX }]);
  });

  it("refuses a missing source at its line", () => {
    expect(issuesOf(folder())).toMatch(/app\.yaml:7: services\.web\.files\.0\.source: "files\/default\.conf" does not exist in the application folder/);
  });

  it("refuses a symbolic link leading outside the folder, never reading or quoting its target", () => {
    const dir = folder();
    const outside = path.join(os.tmpdir(), `envkit-outside-${process.pid}.conf`);
    fs.writeFileSync(outside, "password = outside-secret\n");
    try {
      fs.symlinkSync(outside, path.join(dir, "files", "default.conf"));
      const msg = issuesOf(dir);
      expect(msg).toMatch(/symbolic link leading outside the application folder/);
      expect(msg).not.toContain("outside-secret");
    } finally {
      fs.rmSync(outside, { force: true });
    }
  });

  it("refuses a source that looks like a secret without quoting it", () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, "files", "default.conf"), "user = app\nDB_PASSWORD=s3cr3t-value\n");
    const msg = issuesOf(dir);
    expect(msg).toMatch(/\[ENVK-SEC-001\] line 2 of "files\/default\.conf"/);
    expect(msg).not.toContain("s3cr3t-value");
  });
});

describe("config files from the constructs", () => {
  it("synthesizes the same files as the configuration (the YAML path declares the model's text)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-files-"));
    fs.mkdirSync(path.join(dir, "environments"));
    fs.mkdirSync(path.join(dir, "files"));
    fs.writeFileSync(path.join(dir, "files", "default.conf"), NGINX);
    fs.writeFileSync(path.join(dir, "app.yaml"), "name: demo\nservices:\n  web:\n    image: ghcr.io/acme/web\n    files:\n      - { path: /etc/nginx/conf.d/default.conf, source: files/default.conf }\n");
    fs.writeFileSync(path.join(dir, "environments", "dev.yaml"), "target: kubernetes\nrelease: { web: '1.0.0' }\n");
    const p = validateDir(dir);
    const json = synthJson(p.environments).get("dev")!;
    const cm = resourcesOf(json, "kubernetes_config_map_v1").find((c) => /-files-/.test(c.metadata.name))!;
    expect(Object.values(cm.data)).toEqual([NGINX]);
  });
});

describe("the JSON pass judges file text line by line (ENVK-SEC-001)", () => {
  it("finds a secret on any line of a multi-line string, by line number only", () => {
    const found = findSecretLiterals({ resource: { x: { data: { "file-0": "[db]\nhost = db\npassword = hunter2\n" } } } });
    expect(found).toEqual([{ path: "resource.x.data.file-0", message: "line 3 of this text assigns a literal value to a secret-like key" }]);
  });

  it("passes configuration text without secrets (a test that fails on any multi-line string would be useless)", () => {
    expect(findSecretLiterals({ data: { "file-0": NGINX, "file-1": "token_file = /run/secrets/token\npassword_env = ${DB_PASSWORD}\n" } })).toEqual([]);
  });
});

describe("config file text is never a Terraform template", () => {
  it("escapes ${ and %{ in the ConfigMap data and the Docker upload", () => {
    const text = "home = ${HOME}\n%{ if x }\n";
    const k = resourcesOf(synth(withFiles([{ path: "/etc/app/a.conf", content: text }]), k8sEnv()), "kubernetes_config_map_v1").find((c) => /-files-/.test(c.metadata.name))!;
    expect(Object.values(k.data)).toEqual(["home = $${HOME}\n%%{ if x }\n"]);
    const seed = resourcesOf(synth(withFiles([{ path: "/etc/app/a.conf", content: text }]), dockerEnv()), "docker_container").find((c) => /files-seed/.test(c.name))!;
    expect(seed.upload[0].content).toBe("home = $${HOME}\n%%{ if x }\n");
  });
});

describe("a config file on Docker is not a secret in state (its text is scanned where it is written)", () => {
  it("the files seed's literal upload is neither a leak nor a state exposure; a literal under /run/secrets still is", () => {
    const json = synth(withFiles(oneFile), dockerEnv());
    const view = inspectDockerStack(json);
    expect(view.secretLeaks).toEqual([]);
    const seed = Object.entries(json.resource.docker_container as Json).find(([, c]) => /files-seed/.test((c as Json).name))!;
    (seed[1] as Json).upload.push({ file: "/run/secrets/db_password", content: "hunter2" });
    expect(inspectDockerStack(json).secretLeaks).toEqual([expect.objectContaining({ resource: `docker_container.${seed[0]}`, message: expect.stringContaining('upload of "/run/secrets/db_password" stores a literal value') })]);
  });
});
