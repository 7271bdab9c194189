import { Parsed, fail, ok } from "./result";

/** A parsed container image reference: `registry/repository:tag@sha256:digest`. */
export interface ImageRef {
  /** Registry host, when the reference names one (`ghcr.io`, `localhost:5000`). */
  readonly registry?: string;
  /** Repository path without registry, e.g. `library/nginx` or `acme/api`. */
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<64 hex>`. */
  readonly digest?: string;
}

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const REPO_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** A value for a message: quoted, unless it embeds credentials (`https://user:token@…`), which are never echoed. */
function shown(s: string): string {
  return /^([a-z][a-z0-9+.-]*:\/\/)?[^/\s@]+:[^/\s@]*@/i.test(s) ? "the value (not shown: it holds credentials)" : `"${s}"`;
}

/** Parses a full image reference. Tag and digest are optional here; see {@link checkImmutable}. */
export function parseImageRef(input: string): Parsed<ImageRef> {
  let rest = input.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) {
      return fail(`${shown(input)} has a malformed digest "${digest}"; expected "sha256:" followed by 64 lowercase hex digits`);
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) return fail(`${shown(input)} has an invalid tag "${tag}"; tags are [A-Za-z0-9_.-], at most 128 characters`);
  }
  let registry: string | undefined;
  const firstSlash = rest.indexOf("/");
  if (firstSlash > 0) {
    const head = rest.slice(0, firstSlash);
    if (head.includes(".") || head.includes(":") || head === "localhost") {
      registry = head;
      rest = rest.slice(firstSlash + 1);
    }
  }
  if (!rest || !REPO_RE.test(rest)) {
    return fail(`${shown(input)} is not a valid image repository; use lowercase letters, digits, ".", "_", "-" and "/" (e.g. "ghcr.io/acme/api")`);
  }
  return ok({ registry, repository: rest, tag, digest });
}

/** Renders the reference back to its canonical string. */
export function formatImageRef(ref: ImageRef): string {
  return `${ref.registry ? `${ref.registry}/` : ""}${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** Tags that move: `latest` and `*-latest`, plus a few common floating names. */
export function isMutableTag(tag: string): boolean {
  return /(^|[-_.])latest$/i.test(tag) || /^(main|master|stable|edge|nightly|dev|develop)$/i.test(tag);
}

/**
 * A release must be immutable: a digest, or a version tag that is not `latest`-like. Returns an
 * error message with the fix, or undefined.
 */
export function checkImmutable(ref: ImageRef): string | undefined {
  if (ref.tag && isMutableTag(ref.tag)) {
    return `tag "${ref.tag}" is mutable; pin a version tag (e.g. "1.4.2" or a git SHA) and, for staging/prod, a "@sha256:…" digest`;
  }
  if (!ref.tag && !ref.digest) {
    return `no tag or digest; pin a version tag (e.g. "1.4.2") or a "@sha256:…" digest`;
  }
  return undefined;
}

/** Parses a `release` entry: `1.4.2`, `1.4.2@sha256:…` or `@sha256:…`, joined to a repository. */
export function parseRelease(repository: string, release: string): Parsed<ImageRef> {
  const text = release.trim();
  if (text.includes("/") || (text.includes(":") && !text.includes("@"))) {
    return fail(`${shown(release)} looks like a full image reference; a release is only "<tag>", "<tag>@sha256:…" or "@sha256:…" (the repository comes from app.yaml)`);
  }
  const joined = text.startsWith("@") ? `${repository}${text}` : `${repository}:${text}`;
  return parseImageRef(joined);
}

/**
 * Checks the `image` of a service: a repository (with optional registry) and nothing else; the
 * tag or digest belongs to each environment's `release`. Returns the repository as written.
 */
export function parseRepository(input: string): Parsed<string> {
  const r = parseImageRef(input);
  if (!r.ok) {
    const lower = input.trim().toLowerCase();
    if (lower !== input.trim() && parseImageRef(lower).ok) return fail(`${shown(input)} is not a valid image repository: repositories are lowercase; write ${shown(lower)}`);
    return r;
  }
  if (r.value.tag !== undefined || r.value.digest !== undefined) {
    const repo = formatImageRef({ registry: r.value.registry, repository: r.value.repository });
    const pin = `${r.value.tag ?? ""}${r.value.digest ? `@${r.value.digest}` : ""}`;
    return fail(`${shown(input)} includes a tag or digest; image is the repository only ("${repo}"), and each environment pins it in release (e.g. release: { <service>: "${pin}" })`);
  }
  return ok(input.trim());
}
