/**
 * The password part of a URL's userinfo (`scheme://user:password@host`), or undefined when the
 * URL carries none. The authority ends at the first "/" after the scheme; its userinfo ends at
 * the last "@" (an unencoded "@" in a password must not hide it).
 */
export function urlPassword(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url.trim());
  if (!m) return undefined;
  const at = m[1].lastIndexOf("@");
  if (at < 0) return undefined;
  const userinfo = m[1].slice(0, at);
  const colon = userinfo.indexOf(":");
  return colon < 0 ? undefined : userinfo.slice(colon + 1);
}

/** The URL with the password of its userinfo replaced by `***`, safe to print. */
export function redactUrlPassword(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url.trim());
  if (!m) return url;
  const at = m[2].lastIndexOf("@");
  if (at < 0) return url;
  const userinfo = m[2].slice(0, at);
  const colon = userinfo.indexOf(":");
  if (colon < 0) return url;
  return `${m[1]}${userinfo.slice(0, colon)}:***${m[2].slice(at)}${m[3]}`;
}

/**
 * Whether `s` contains, anywhere, a URL whose userinfo carries a password
 * (`scheme://user:password@host`). Linear in the length of `s`: it looks only at each "://" and
 * the authority after it (an unanchored regular expression for this is quadratic, which let one
 * long configuration value stall validation for minutes).
 */
export function containsUrlPassword(s: string): boolean {
  for (let i = s.indexOf("://"); i >= 0; i = s.indexOf("://", i + 3)) {
    // A scheme: at least one character before "://", the first of its run a letter.
    let start = i;
    while (start > 0 && /[a-z0-9+.-]/i.test(s[start - 1])) start--;
    while (start < i && !/[a-z]/i.test(s[start])) start++;
    if (start === i) continue;
    let end = i + 3;
    while (end < s.length && !/[/\s?#]/.test(s[end])) end++;
    const authority = s.slice(i + 3, end);
    const at = authority.lastIndexOf("@");
    if (at <= 0) continue;
    // user:password — a user without ":" or "@" (RFC 3986 userinfo), a non-empty password that
    // may hold an unencoded "@" (the userinfo ends at the last "@").
    const colon = authority.indexOf(":");
    if (colon > 0 && colon < at - 1 && !authority.slice(0, colon).includes("@")) return true;
  }
  return false;
}

/** A PEM private key block's first line. */
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----/;
/**
 * Credentials whose shape gives them away, under any name: GitHub tokens (ghp_, gho_, ghu_, ghs_,
 * ghr_, github_pat_), AWS access key ids, Slack tokens, an HTTP bearer credential.
 */
const TOKEN_SHAPES: readonly [RegExp, string][] = [
  [/\bgh[pousr]_[A-Za-z0-9]{36,}/, "a GitHub token"],
  [/\bgithub_pat_[A-Za-z0-9_]{40,}/, "a GitHub token"],
  // A key id holds digits ("ASIAPACIFICSOUTHEAST" is a region-like word, not a key).
  [/\b(?:AKIA|ASIA)(?=[A-Z]*\d)[0-9A-Z]{16}\b/, "an AWS access key id"],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, "a Slack token"],
  // A credential, not a sentence or a path: one word of token characters with a digit, in any case.
  [/\b[Bb][Ee][Aa][Rr][Ee][Rr] (?=[A-Za-z\-._~+]*\d)[A-Za-z0-9\-._~+]{20,}=*(?![A-Za-z0-9\-._~+/=])/, "a bearer credential"],
];

/**
 * What secret material `value` holds by its shape alone (a private key, a well-known token), for
 * a message that never quotes it; undefined when none. Linear in the value's length.
 */
export function secretMaterialIn(value: string): string | undefined {
  if (PRIVATE_KEY_BLOCK.test(value)) return "a private key";
  for (const [shape, what] of TOKEN_SHAPES) if (shape.test(value)) return what;
  return undefined;
}
