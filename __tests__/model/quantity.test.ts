import fc from "fast-check";
import { CONTAINER_CPU, CONTAINER_MEMORY, QUOTA_CPU, QUOTA_MEMORY, VOLUME_SIZE } from "../../lib/model/limits";
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

  it.each([
    [500_000_000, "500M"],
    [1_000_000_000, "1G"],
    [1_500_000, "1500k"],
    [1536, "1536"],
    [512 * 1024 ** 2, "512Mi"],
    [1024 ** 3, "1Gi"],
  ])("renders %d bytes for Kubernetes as %j, the form the API server reads back (Quantity.String)", (bytes, text) => {
    expect(memoryToKubernetes(bytes)).toBe(text);
  });

  it("renders for Kubernetes in canonical form: no larger unit divides the number it writes (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 10 ** 6 }).map((n) => n * 1000 ** 3)), (bytes) => {
        const m = /^(\d+)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(memoryToKubernetes(bytes))!;
        const n = Number(m[1]);
        if (m[2]?.endsWith("i")) expect(m[2] === "Pi" || n % 1024 !== 0).toBe(true);
        else {
          expect(bytes % 1024).not.toBe(0);
          expect(m[2] === "P" || n % 1000 !== 0).toBe(true);
        }
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

describe("quantity bounds (apply-time limits, caught at validate time)", () => {
  it("rejects a container CPU above 1024 cores, naming the bound and the fix", () => {
    const r = parseCpu("5000");
    expect(!r.ok && r.error).toBe('"5000" is above the maximum for a container (1024 cores); use at most "1024"');
  });

  it("accepts exactly 1024 cores for a container, and more for a quota", () => {
    expect(value(parseCpu("1024"))).toBe(1_024_000);
    expect(parseCpu("1025").ok).toBe(false);
    expect(value(parseCpu("5000", QUOTA_CPU))).toBe(5_000_000);
  });

  it("rejects a memory of 10^28 bytes (it rendered as 1.024e+28 before) with the 1Pi bound", () => {
    const r = parseMemory("10000000000000000000000000000");
    expect(!r.ok && r.error).toBe('"10000000000000000000000000000" is above the maximum for a container (1Pi); use at most "1Pi"');
  });

  it("rejects an over-long digit string without parsing it, naming the bound", () => {
    const r = parseMemory("9".repeat(5000));
    expect(!r.ok && r.error).toMatch(/^"9{20}…" is above the maximum for a container \(1Pi\)$/);
    const c = parseCpu("9".repeat(5000));
    expect(!c.ok && c.error).toMatch(/above the maximum for a container \(1024 cores\)/);
  });

  it("accepts Pi and P units up to the bound, and Ei only to be rejected by the bound", () => {
    expect(value(parseMemory("1Pi"))).toBe(1024 ** 5);
    expect(value(parseMemory("1P"))).toBe(1e15);
    expect(!parseMemory("1Ei").ok && (parseMemory("1Ei") as { error: string }).error).toContain("above the maximum for a container (1Pi)");
    expect(value(parseMemory("4Pi", QUOTA_MEMORY))).toBe(4 * 1024 ** 5);
    expect(!parseMemory("5Pi", QUOTA_MEMORY).ok && (parseMemory("5Pi", QUOTA_MEMORY) as { error: string }).error).toContain("above the maximum for a quota (4Pi)");
    expect(!parseMemory("2Pi", VOLUME_SIZE).ok && (parseMemory("2Pi", VOLUME_SIZE) as { error: string }).error).toContain("above the maximum for a volume (1Pi)");
  });

  it("parses decimals exactly (1.005k is 1005 bytes; in floating point it is 1004.9999999999999)", () => {
    expect(value(parseMemory("1.005k"))).toBe(1005);
    expect(value(parseCpu("0.007"))).toBe(7);
    expect(value(parseMemory("1.5Gi"))).toBe(1.5 * 1024 ** 3);
  });

  it("parses every decimal CPU literal of at most 3 fraction digits exactly (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: CONTAINER_CPU.max }), (milli) => {
        const literal = `${Math.floor(milli / 1000)}.${String(milli % 1000).padStart(3, "0")}`;
        expect(value(parseCpu(literal))).toBe(milli);
      }),
    );
  });

  const noExponent = (s: string): void => expect(s).toMatch(/^[0-9.]+[a-zA-Z]*$/);

  it("renders every accepted CPU in plain digits on both targets, and parses back (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: QUOTA_CPU.max }), (milli) => {
        noExponent(cpuToKubernetes(milli));
        noExponent(cpuToDocker(milli));
        expect(value(parseCpu(cpuToKubernetes(milli), QUOTA_CPU))).toBe(milli);
        expect(value(parseCpu(cpuToDocker(milli), QUOTA_CPU))).toBe(milli);
      }),
    );
  });

  it("renders every accepted memory in plain digits on both targets, and parses back (property)", () => {
    const bytes = fc.oneof(fc.integer({ min: 1, max: QUOTA_MEMORY.max }), fc.integer({ min: 1, max: 4096 }).map((n) => n * 1024 ** 4), fc.constant(QUOTA_MEMORY.max), fc.constant(CONTAINER_MEMORY.max));
    fc.assert(
      fc.property(bytes, (b) => {
        noExponent(memoryToKubernetes(b));
        noExponent(JSON.stringify(memoryToDockerMb(b)));
        expect(value(parseMemory(memoryToKubernetes(b), QUOTA_MEMORY))).toBe(b);
      }),
    );
  });

  it("renders the largest accepted values in the target's own notation", () => {
    expect(memoryToKubernetes(CONTAINER_MEMORY.max)).toBe("1Pi");
    expect(memoryToKubernetes(QUOTA_MEMORY.max)).toBe("4Pi");
    expect(memoryToDockerMb(CONTAINER_MEMORY.max)).toBe(1024 ** 3);
    expect(cpuToKubernetes(CONTAINER_CPU.max)).toBe("1024");
    expect(cpuToDocker(1)).toBe("0.001");
    expect(cpuToDocker(1_023_999)).toBe("1023.999");
  });
});
