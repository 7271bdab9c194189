import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

/*
 * What an editor shows when a user hovers a prop comes from the published .d.ts files, so the
 * TSDoc (with its `@default`) must survive declaration emit. This reads the declarations
 * `npm run build` wrote into dist/ (what the package publishes; `npm test` builds first), and
 * every optional property of every exported `…Props` interface of the constructs must carry a
 * `@default`. Emitting them again here took ~18 s (a type-checked program); reading takes
 * milliseconds. A declaration older than its source, or a source without one, fails the test:
 * it would be checking a stale build.
 */
const ROOT = path.join(__dirname, "..", "..");
const DIST = path.join(ROOT, "dist");

/** The published declarations of the constructs (lib/constructs/*.d.ts, stacks/*.d.ts), by path relative to dist/. */
function publishedDeclarations(): Map<string, string> {
  const out = new Map<string, string>();
  const stale: string[] = [];
  for (const folder of [path.join("lib", "constructs"), "stacks"]) {
    for (const name of fs.readdirSync(path.join(ROOT, folder)).filter((f) => f.endsWith(".ts")).sort()) {
      const source = path.join(ROOT, folder, name);
      const rel = path.join(folder, name.replace(/\.ts$/, ".d.ts"));
      const file = path.join(DIST, rel);
      if (!fs.existsSync(file) || fs.statSync(file).mtimeMs < fs.statSync(source).mtimeMs) {
        stale.push(rel);
        continue;
      }
      out.set(rel, fs.readFileSync(file, "utf8"));
    }
  }
  if (stale.length > 0) throw new Error(`dist/ is missing or older than the source for ${stale.join(", ")}: run \`npm run build\` (npm test does) before this test`);
  return out;
}

interface Prop {
  readonly iface: string;
  readonly name: string;
  readonly optional: boolean;
  readonly doc: string;
}

function propsOf(file: string, text: string): Prop[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const props: Prop[] = [];
  sf.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || !/Props$/.test(node.name.text)) return;
    for (const m of node.members) {
      if (!ts.isPropertySignature(m)) continue;
      const doc = ts
        .getJSDocCommentsAndTags(m)
        .map((d) => d.getText())
        .join("\n");
      props.push({ iface: node.name.text, name: m.name.getText(), optional: m.questionToken !== undefined, doc });
    }
  });
  return props;
}

describe("the published type declarations document the construct props", () => {
  const declarations = publishedDeclarations();
  const files = [...declarations.keys()].filter((f) => f.startsWith(path.join("lib", "constructs")) || f === path.join("stacks", "environment-stack.d.ts"));
  const props = files.flatMap((f) => propsOf(f, declarations.get(f)!));

  it("emits the constructs' declarations (the test reads what is published)", () => {
    expect(files).toEqual(expect.arrayContaining([path.join("lib", "constructs", "service.d.ts"), path.join("lib", "constructs", "service-props.d.ts"), path.join("stacks", "environment-stack.d.ts")]));
    expect(props.length).toBeGreaterThan(40);
  });

  it("every optional prop carries @default in its TSDoc", () => {
    const missing = props.filter((p) => p.optional && !/@default\b/.test(p.doc)).map((p) => `${p.iface}.${p.name}`);
    expect(missing).toEqual([]);
  });

  it("every prop has a description (a required prop says what to pass)", () => {
    const undocumented = props.filter((p) => p.doc.replace(/\/\*\*|\*\/|\*|@default.*$/gm, "").trim() === "").map((p) => `${p.iface}.${p.name}`);
    expect(undocumented).toEqual([]);
  });

  it("counts the @default tags an editor shows across the published constructs", () => {
    const count = [...declarations.entries()].filter(([f]) => files.includes(f)).reduce((n, [, text]) => n + (text.match(/@default\b/g) ?? []).length, 0);
    process.stdout.write(`published @default tags in the constructs' declarations: ${count}\n`);
    expect(count).toBeGreaterThanOrEqual(props.filter((p) => p.optional).length);
  });
});
