import fc from "fast-check";
import { cpuToDocker, cpuToKubernetes, memoryToDockerMb, memoryToKubernetes, parseCpu, parseMemory } from "../../lib/model/quantity";

const value = <T>(r: { ok: boolean; value?: T; error?: string }): T => {
  if (!r.ok) throw new Error(r.error);
  return r.value as T;
};

describe("CPU quantities", () => {
  it.each([
    ["500m", 500],
    ["0.5", 500],
    ["2", 2000],
    [2, 2000],
    ["0.25", 250],
    ["1500m", 1500],
  ])("parses %p as %p millicores", (input, milli) => {
    expect(value(parseCpu(input))).toBe(milli);
  });

  it.each(["abc", "-1", "5x", "", "0"])("rejects %p with a message naming the value", (input) => {
    const r = parseCpu(input);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain(`"${input}"`);
  });

  it("rejects sub-millicore precision and suggests a rounded value", () => {
    const r = parseCpu("0.0005");
    expect(!r.ok && r.error).toContain('finer than 1 millicore; round it, e.g. "1m"');
  });

  it("renders for Kubernetes and Docker and parses back to the same number (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 256_000 }), (milli) => {
        expect(value(parseCpu(cpuToKubernetes(milli)))).toBe(milli);
        expect(value(parseCpu(cpuToDocker(milli)))).toBe(milli);
      }),
    );
  });
});

describe("memory quantities", () => {
  it.each([
    ["512Mi", 512 * 1024 ** 2],
    ["2Gi", 2 * 1024 ** 3],
    ["512M", 512e6],
    ["1G", 1e9],
    ["1024Ki", 1024 * 1024],
    [1048576, 1048576],
  ])("parses %p as %p bytes", (input, bytes) => {
    expect(value(parseMemory(input))).toBe(bytes);
  });

  it('rejects "512mb" and suggests "512Mi"', () => {
    const r = parseMemory("512mb");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain('did you mean "512Mi"?');
  });

  it('rejects "2GB" and suggests "2Gi"', () => {
    expect(!parseMemory("2GB").ok && (parseMemory("2GB") as { error: string }).error).toContain('"2Gi"');
  });

  it("rejects a non-quantity with the expected form", () => {
    const r = parseMemory("lots");
    expect(!r.ok && r.error).toContain('write e.g. "512Mi"');
  });

  it("renders for Kubernetes and parses back to the same number (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (bytes) => {
        expect(value(parseMemory(memoryToKubernetes(bytes)))).toBe(bytes);
      }),
    );
  });

  it("never lowers a limit when rendering Docker megabytes (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (bytes) => {
        expect(memoryToDockerMb(bytes) * 1024 ** 2).toBeGreaterThanOrEqual(bytes);
      }),
    );
  });
});
