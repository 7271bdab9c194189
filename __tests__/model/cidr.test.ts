import { contains, overlaps, parseCidr, parseIpAddress } from "../../lib/model/cidr";

const c = (t: string) => {
  const r = parseCidr(t);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe("CIDR ranges", () => {
  it("detects overlap and containment", () => {
    expect(overlaps(c("10.0.0.0/16"), c("10.0.128.0/17"))).toBe(true);
    expect(contains(c("10.0.0.0/16"), c("10.0.128.0/17"))).toBe(true);
    expect(overlaps(c("10.0.0.0/16"), c("10.1.0.0/16"))).toBe(false);
  });

  it("rejects host bits and names the network address", () => {
    const r = parseCidr("10.0.0.1/16");
    expect(!r.ok && r.error).toContain('"10.0.0.0/16"');
  });

  it("rejects a non-CIDR with the expected form", () => {
    expect(!parseCidr("10.0.0.0").ok && (parseCidr("10.0.0.0") as { error: string }).error).toContain('e.g. "172.20.0.0/16"');
    expect(parseCidr("300.0.0.0/8").ok).toBe(false);
  });
});

describe("IP addresses (docker.publishAddress)", () => {
  it.each(["127.0.0.1", "0.0.0.0", "255.255.255.255", "10.200.0.1", "::1", "fd00::10"])("accepts %p", (a) => {
    expect(parseIpAddress(a)).toEqual({ ok: true, value: a });
  });

  it.each(["999.1.1.1", "1.1.1.256", "01.1.1.1"])("rejects the IPv4-looking %p with the octet rule", (a) => {
    const r = parseIpAddress(a);
    expect(!r.ok && r.error).toBe(`"${a}" is not an IPv4 address; each of the four numbers is 0-255 without leading zeros, e.g. "127.0.0.1"`);
  });

  it.each(["localhost", "1.1.1", "fe80::1%eth0", "::g", ""])("rejects %p as not an IP address", (a) => {
    const r = parseIpAddress(a);
    expect(!r.ok && r.error).toMatch(/is not an IP address; write an IPv4 address such as "127\.0\.0\.1"/);
  });
});
