import * as fs from "node:fs";
import * as path from "node:path";
import type { z } from "zod";
import { AppSchema, EnvironmentSchema } from "../lib/config/schema";
import { DEFAULTS } from "../lib/config/defaults";

const README = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

/** Every leaf key path a schema accepts, as written in the README (`services.<name>.ports[].port`). */
function leafPaths(schema: z.core.$ZodType, prefix = "", out: string[] = []): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "readonly":
      return leafPaths(def.innerType as z.core.$ZodType, prefix, out);
    case "pipe":
      return leafPaths(def.in as z.core.$ZodType, prefix, out);
    case "union":
      for (const o of def.options as z.core.$ZodType[]) leafPaths(o, prefix, out);
      return out;
    case "object":
      for (const [k, v] of Object.entries(def.shape as Record<string, z.core.$ZodType>)) {
        const before = out.length;
        leafPaths(v, prefix ? `${prefix}.${k}` : k, out);
        if (out.length === before) out.push(prefix ? `${prefix}.${k}` : k);
      }
      return out;
    case "record": {
      const at = `${prefix}.<${prefix === "release" ? "service" : prefix === "secretRevisions" ? "secret" : "name"}>`;
      const before = out.length;
      leafPaths(def.valueType as z.core.$ZodType, at, out);
      if (out.length === before) out.push(at);
      return out;
    }
    case "array":
      return leafPaths(def.element as z.core.$ZodType, `${prefix}[]`, out);
    default:
      return out;
  }
}

/** A key is documented when its full path is in backticks, or its parent path is and `.leaf` follows in the row. */
function documented(p: string): boolean {
  if (README.includes(`\`${p}\``)) return true;
  const i = p.lastIndexOf(".");
  const parent = p.slice(0, i);
  const leaf = p.slice(i + 1);
  return README.split("\n").some((row) => row.includes(`\`${parent}.`) && row.includes(`\`.${leaf}\``));
}

describe("README config reference", () => {
  const keys = [...new Set([...leafPaths(AppSchema), ...leafPaths(EnvironmentSchema).filter((k) => !k.startsWith("services."))])];

  it("documents every key the schemas accept", () => {
    expect(keys.length).toBeGreaterThan(80);
    expect(keys.filter((k) => !documented(k))).toEqual([]);
  });

  it("mentions every default value envkit applies", () => {
    const missing = DEFAULTS.filter((d) => typeof d.value !== "function" && !/^\[\]|\{\}$/.test(JSON.stringify(d.value)))
      .filter((d) => !README.includes(String(Array.isArray(d.value) ? JSON.stringify(d.value) : d.value)))
      .map((d) => `${d.path} = ${JSON.stringify(d.value)}`);
    expect(missing).toEqual([]);
  });
});

describe("README: Use the constructs in your own cdktf app", () => {
  it("shows examples/library-consumer/main.ts exactly as the test suite runs it (package/consumer.test.ts)", () => {
    const example = fs.readFileSync(path.join(__dirname, "..", "examples", "library-consumer", "main.ts"), "utf8");
    const section = README.slice(README.indexOf("## Use the constructs in your own cdktf app"));
    const block = /```ts\n([\s\S]*?)```/.exec(section);
    expect(block?.[1]).toBe(example);
  });
});
