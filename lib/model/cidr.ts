import { isIPv6 } from "node:net";
import { Parsed, fail, ok } from "./result";

/** An IPv4 range as integers, inclusive. */
export interface Cidr {
  readonly text: string;
  readonly first: number;
  readonly last: number;
  readonly prefix: number;
}

/** Parses `172.20.0.0/16`; the address must be the network address (no host bits set). */
export function parseCidr(text: string): Parsed<Cidr> {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) return fail(`"${text}" is not an IPv4 CIDR range; write e.g. "172.20.0.0/16"`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return fail(`"${text}" is not an IPv4 CIDR range; octets are 0-255 and the prefix 0-32`);
  const addr = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
  const size = 2 ** (32 - prefix);
  const first = Math.floor(addr / size) * size;
  if (first !== addr) {
    return fail(`"${text}" has host bits set; the network address of that range is "${formatIp(first)}/${prefix}"`);
  }
  return ok({ text, first, last: first + size - 1, prefix });
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.first <= inner.first && inner.last <= outer.last;
}

/**
 * Docker's default address pools (dockerd's built-in `default-address-pools`): bridge networks
 * created without a subnet are carved from these, so a fixed range inside them can collide with
 * a network Docker created on its own.
 */
export const DOCKER_DEFAULT_POOLS: readonly string[] = ["172.17.0.0/16", "172.18.0.0/15", "172.20.0.0/14", "172.24.0.0/14", "172.28.0.0/14", "192.168.0.0/16"];

/**
 * Checks a single IP address the way Docker reads one (Go's net.ParseIP): IPv4 dotted quad with
 * octets 0-255 and no leading zeros, or an IPv6 address without a zone. Returns the address.
 */
export function parseIpAddress(input: string): Parsed<string> {
  const text = input.trim();
  if (/^\d+(\.\d+){3}$/.test(text)) {
    const octets = text.split(".");
    if (octets.some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith("0")))) {
      return fail(`"${input}" is not an IPv4 address; each of the four numbers is 0-255 without leading zeros, e.g. "127.0.0.1"`);
    }
    return ok(text);
  }
  if (text.includes(":") && !text.includes("%") && isIPv6(text)) return ok(text);
  return fail(`"${input}" is not an IP address; write an IPv4 address such as "127.0.0.1" (or an IPv6 address such as "::1")`);
}
