import { contains, overlaps, parseCidr } from "../../lib/model/cidr";

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
