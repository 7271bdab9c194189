/**
 * Addresses of other services inside environment-variable values: `redis`, `redis:6379`,
 * `productcatalogservice:3550`, `http://api:8080/v1`, `postgres://db:5432/shop`. Used to check
 * such values against the declared connections (a value naming a service the client has no
 * connection to would be blocked at run time by default-deny).
 */

/** A host (and port) found in a value. */
export interface AddressRef {
  readonly host: string;
  readonly port?: number;
}

/** Variable names whose whole value is a host name even without a port (`REDIS_HOST=redis`). */
const HOST_VARIABLE = /(^|_)(HOST|HOSTNAME|ADDR|ADDRESS|SERVER|SERVICE|ENDPOINT|URL|URI)$/i;
/** A DNS label, as service names are. */
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function port(text: string): number | null {
  if (!/^[0-9]{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

/**
 * The address a value names, if any: a URL's authority (`scheme://[user@]host[:port]`),
 * `host:port`, or — for a variable whose name says it holds a host (`*_HOST`, `*_ADDR`, …) — a
 * bare `host`. Hosts are DNS labels only (a dotted name is outside the application); `null` when
 * the value names no such address. Linear in the value's length (no backtracking patterns).
 */
export function parseAddress(name: string, value: string): AddressRef | null {
  let rest = value.trim();
  const scheme = rest.indexOf("://");
  const isUrl = scheme > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(rest.slice(0, scheme));
  if (isUrl) {
    rest = rest.slice(scheme + 3);
    const end = [...rest].findIndex((ch) => ch === "/" || ch === "?" || ch === "#");
    rest = end >= 0 ? rest.slice(0, end) : rest;
    const at = rest.lastIndexOf("@");
    if (at >= 0) rest = rest.slice(at + 1);
  }
  const colon = rest.indexOf(":");
  const host = colon >= 0 ? rest.slice(0, colon) : rest;
  if (!LABEL.test(host)) return null;
  if (colon >= 0) {
    const p = port(rest.slice(colon + 1));
    return p === null ? null : { host, port: p };
  }
  return isUrl || HOST_VARIABLE.test(name) ? { host } : null;
}
