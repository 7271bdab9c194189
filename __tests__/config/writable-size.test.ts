import { dockerEnv, k8sEnv, miniApp, resolve, resolveOne, resourcesOf, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// The api's first replica: rolling containers carry a content hash (demo-dev-api-<hash>-1).
const apiContainer = (json: Json): Json => resourcesOf(json, "docker_container").find((c) => /^demo-dev-api(-[0-9a-f]{8})?-1$/.test(c.name))!;
const apiPod = (json: Json): Json => resourcesOf(json, "kubernetes_deployment_v1").find((d) => d.metadata.name === "api")!.spec.template.spec;

describe("services.<svc>.writableSize", () => {
  it("defaults to 64Mi per writable path on Docker (tmpfs size) and Kubernetes (emptyDir sizeLimit)", () => {
    const d = synthJson([resolveOne(miniApp(), "dev", dockerEnv())]).get("dev")!;
    expect(apiContainer(d).tmpfs["/tmp"]).toMatch(/(^|,)size=64m(,|$)/);
    const k = synthJson([resolveOne(miniApp(), "staging", k8sEnv())]).get("staging")!;
    expect(apiPod(k).volume.find((v: Json) => v.name === "writable-0").empty_dir.size_limit).toBe("64Mi");
  });

  it("an environment can resize the writable paths of one service on both targets", () => {
    const over = { services: { api: { writableSize: "256Mi" } } };
    const d = synthJson([resolveOne(miniApp(), "dev", dockerEnv(over))]).get("dev")!;
    expect(apiContainer(d).tmpfs["/tmp"]).toMatch(/(^|,)size=256m(,|$)/);
    const k = synthJson([resolveOne(miniApp(), "staging", k8sEnv({ ...k8sEnv(), ...over, services: { ...k8sEnv().services, api: { replicas: 2, writableSize: "256Mi" } } }))]).get("staging")!;
    expect(apiPod(k).volume.find((v: Json) => v.name === "writable-0").empty_dir.size_limit).toBe("256Mi");
  });

  it("a size below 1Mi (a unit mistake such as 64k) is refused with the fix", () => {
    const r = resolve(miniApp(), { dev: dockerEnv({ services: { api: { writableSize: "64k" } } }) });
    expect(r.issues.map((i) => `${i.path}: ${i.message}`)).toContain('services.api.writableSize: "64k" is below 1Mi; a writable path needs at least "1Mi" (e.g. "64Mi")');
  });

  it("a size that is not a memory quantity is refused with the unit hint", () => {
    const r = resolve(miniApp(), { dev: dockerEnv({ services: { api: { writableSize: "64mb" } } }) });
    expect(r.issues.some((i) => i.path === "services.api.writableSize" && /did you mean "64Mi"/.test(i.message))).toBe(true);
  });
});
