import fc from "fast-check";
import { checkImmutable, formatImageRef, parseImageRef, parseRelease, parseRepository } from "../../lib/model/image-ref";

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

describe("image references", () => {
  it("parses registry, repository, tag and digest", () => {
    const r = parseImageRef(`ghcr.io/acme/api:1.4.2@${DIGEST}`);
    expect(r).toEqual({ ok: true, value: { registry: "ghcr.io", repository: "acme/api", tag: "1.4.2", digest: DIGEST } });
  });

  it("treats a host with a port as the registry", () => {
    const r = parseImageRef("localhost:5000/api:1");
    expect(r.ok && r.value).toMatchObject({ registry: "localhost:5000", repository: "api", tag: "1" });
  });

  it("keeps Docker Hub paths without registry", () => {
    const r = parseImageRef("library/nginx:1.27");
    expect(r.ok && r.value).toMatchObject({ registry: undefined, repository: "library/nginx", tag: "1.27" });
  });

  it("rejects a malformed digest with the expected form", () => {
    const r = parseImageRef("api@sha256:xyz");
    expect(!r.ok && r.error).toContain('expected "sha256:" followed by 64 lowercase hex digits');
  });

  it("rejects upper-case repositories", () => {
    expect(parseImageRef("Acme/API:1").ok).toBe(false);
  });

  it.each(["latest", "dev-latest", "main"])("rejects mutable tag %p", (tag) => {
    const r = parseImageRef(`acme/api:${tag}`);
    expect(r.ok && checkImmutable(r.value)).toContain("is mutable");
  });

  it("rejects a reference with neither tag nor digest", () => {
    const r = parseImageRef("acme/api");
    expect(r.ok && checkImmutable(r.value)).toContain("no tag or digest");
  });

  it("accepts a version tag, a digest, or both", () => {
    for (const rel of ["1.4.2", `1.4.2@${DIGEST}`, `@${DIGEST}`]) {
      const r = parseRelease("acme/api", rel);
      expect(r.ok && checkImmutable(r.value)).toBeUndefined();
    }
  });

  it("rejects a full image reference where a release is expected", () => {
    const r = parseRelease("acme/api", "acme/api:1.0");
    expect(!r.ok && r.error).toContain("looks like a full image reference");
  });

  it("formats what it parses back to the same string (property)", () => {
    const seg = fc.stringMatching(/^[a-z0-9]{1,8}$/);
    const ref = fc.record({
      registry: fc.option(fc.constantFrom("ghcr.io", "registry.example.com:5000", "localhost"), { nil: undefined }),
      repository: fc.array(seg, { minLength: 1, maxLength: 3 }).map((a) => a.join("/")),
      tag: fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined }),
      digest: fc.option(fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`), { nil: undefined }),
    });
    fc.assert(
      fc.property(ref, (r) => {
        const text = formatImageRef(r);
        const parsed = parseImageRef(text);
        expect(parsed.ok).toBe(true);
        expect(parsed.ok && formatImageRef(parsed.value)).toBe(text);
      }),
    );
  });
});

describe("the image repository of a service (app.yaml)", () => {
  it.each(["ghcr.io/acme/api", "docker.io/library/postgres", "localhost:5000/api", "nginx"])("accepts %p", (repo) => {
    expect(parseRepository(repo)).toEqual({ ok: true, value: repo });
  });

  it("rejects an upper-case repository and gives the lowercase form", () => {
    const r = parseRepository("Ghcr.io/Acme/API");
    expect(!r.ok && r.error).toBe('"Ghcr.io/Acme/API" is not a valid image repository: repositories are lowercase; write "ghcr.io/acme/api"');
  });

  it("rejects a tag in the repository and says where it belongs", () => {
    const r = parseRepository("ghcr.io/acme/api:1.4.2");
    expect(!r.ok && r.error).toBe('"ghcr.io/acme/api:1.4.2" includes a tag or digest; image is the repository only ("ghcr.io/acme/api"), and each environment pins it in release (e.g. release: { <service>: "1.4.2" })');
  });

  it("rejects a repository with characters no registry accepts", () => {
    const r = parseRepository("acme/my api");
    expect(!r.ok && r.error).toContain("is not a valid image repository");
  });
});
