import * as path from "node:path";
import * as ts from "typescript";

/*
 * What an editor shows when a user hovers a prop comes from the published .d.ts files, so the
 * TSDoc (with its `@default`) must survive declaration emit. The declarations are emitted here in
 * memory, exactly as `npm run build` emits them, and every optional property of every exported
 * `…Props` interface of the constructs must carry a `@default`.
 */
const ROOT = path.join(__dirname, "..", "..");

function emitDeclarations(): Map<string, string> {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, "tsconfig.build.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
  const program = ts.createProgram({ rootNames: config.fileNames, options: { ...config.options, declaration: true, emitDeclarationOnly: true, noEmit: false } });
  const out = new Map<string, string>();
  program.emit(undefined, (file, text) => {
    if (file.endsWith(".d.ts")) out.set(path.relative(path.join(ROOT, "dist"), file), text);
  });
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
  const declarations = emitDeclarations();
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
