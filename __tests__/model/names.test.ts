import { checkConstructId, checkContainerPath, checkDns1035Label, checkPortName, isReservedVolumeName, isWithinPath } from "../../lib/model/names";

describe("port names (IANA service names, as Kubernetes requires)", () => {
  it.each(["http", "grpc-web", "h2c", "metrics-9090", "a", "x".repeat(15)])("accepts %p", (name) => {
    expect(checkPortName(name)).toBeUndefined();
  });

  it.each<[string, RegExp]>([
    ["http-metrics-endpoint", /is 21 characters \(the limit is 15\).*e\.g\. "http-metrics-en"/],
    ["HTTP", /has characters other than lowercase letters, digits and "-".*e\.g\. "http"/],
    ["http_alt", /has characters other than lowercase.*e\.g\. "http-alt"/],
    ["8080", /has no letter.*e\.g\. "port-8080"/],
    ["-http", /starts or ends with "-".*e\.g\. "http"/],
    ["http-", /starts or ends with "-"/],
    ["http--alt", /contains "--".*e\.g\. "http-alt"/],
  ])("rejects %p with the rule and a fix", (name, message) => {
    expect(checkPortName(name)).toMatch(message);
  });
});

describe("Kubernetes Service names (DNS-1035 labels)", () => {
  it("rejects a name that starts with a digit and suggests one that starts with a letter", () => {
    expect(checkDns1035Label("9cache")).toBe('"9cache" does not start with a letter, and a Kubernetes Service name is a DNS-1035 label (lowercase letters, digits and "-", starting with a letter); rename it, e.g. "svc-9cache"');
  });

  it("accepts a DNS-1123 label that starts with a letter", () => {
    expect(checkDns1035Label("cache9")).toBeUndefined();
  });

  it("keeps the suggestion within the length limit", () => {
    const m = checkDns1035Label(`9${"a".repeat(62)}`);
    const suggestion = /e\.g\. "([^"]+)"/.exec(m!)![1];
    expect(suggestion.length).toBeLessThanOrEqual(63);
  });
});

describe("container paths", () => {
  it.each(["/tmp", "/var/run/postgresql", "/a/b.c/d"])("accepts the normalised absolute path %p", (p) => {
    expect(checkContainerPath(p)).toBeUndefined();
  });

  it.each<[string, string]>([
    ["/tmp/../etc", '"/tmp/../etc" is not a normalised path (no "//", "." or ".." segments, no trailing "/"); write "/etc"'],
    ["/tmp/", '"/tmp/" is not a normalised path (no "//", "." or ".." segments, no trailing "/"); write "/tmp"'],
    ["//tmp", '"//tmp" is not a normalised path (no "//", "." or ".." segments, no trailing "/"); write "/tmp"'],
    ["/./tmp", '"/./tmp" is not a normalised path (no "//", "." or ".." segments, no trailing "/"); write "/tmp"'],
    ["tmp", '"tmp" must be an absolute path inside the container, e.g. "/tmp"'],
  ])("rejects %p with the normalised form", (p, message) => {
    expect(checkContainerPath(p)).toBe(message);
  });

  it("knows when a path is a folder or below it, and not a sibling with the same prefix", () => {
    expect(isWithinPath("/run/secrets", "/run/secrets")).toBe(true);
    expect(isWithinPath("/run/secrets/x", "/run/secrets")).toBe(true);
    expect(isWithinPath("/run/secrets2", "/run/secrets")).toBe(false);
    expect(isWithinPath("/anything", "/")).toBe(true);
  });

  it("reserves the volume names envkit gives its own mounts", () => {
    expect(isReservedVolumeName("secrets")).toBe(true);
    expect(isReservedVolumeName("writable-0")).toBe(true);
    expect(isReservedVolumeName("writable")).toBe(false);
    expect(isReservedVolumeName("data")).toBe(false);
  });
});

describe("construct ids", () => {
  it.each(["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"])("rejects the Object.prototype member %p", (name) => {
    expect(checkConstructId(name, "a service")).toMatch(new RegExp(`^"${name}" cannot name a service: it is a built-in property of JavaScript objects`));
  });

  it("accepts ordinary names", () => {
    expect(checkConstructId("api", "a service")).toBeUndefined();
    expect(checkConstructId("constructors", "a service")).toBeUndefined();
  });
});
