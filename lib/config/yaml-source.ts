import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, Node } from "yaml";
import { ConfigIssue } from "../errors";

/** Where a value came from. */
export interface Source {
  readonly file: string;
  readonly line: number;
}

/** A parsed config file: plain data plus the line of every value, keyed by its {@link pathKey}. */
export interface SourceDocument {
  readonly file: string;
  readonly data: unknown;
  readonly lines: ReadonlyMap<string, number>;
}

/**
 * The key of a value in a document. Items of lists of named things are addressed by name
 * (`services.web.ports.http.port`), other list items by index, so that the same path means the
 * same thing in app.yaml, an environment file and the merged result.
 */
export function pathKey(segments: readonly (string | number)[]): string {
  return segments.join(".");
}

/** Item key of a list element: its `name` when it has one, else its index. */
export function itemKey(item: unknown, index: number): string | number {
  if (item && typeof item === "object" && !Array.isArray(item)) {
    const name = (item as Record<string, unknown>).name;
    if (typeof name === "string") return name;
  }
  return index;
}

/** Converts a data path with list indices (as zod reports it) to a {@link pathKey} path. */
export function namedPath(data: unknown, path: readonly PropertyKey[]): (string | number)[] {
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === "number") {
      out.push(itemKey(cur[seg], seg));
      cur = cur[seg];
    } else {
      out.push(String(seg));
      cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[String(seg)] : undefined;
    }
  }
  return out;
}

/** Parses YAML text; on syntax errors returns issues (all of them) with line numbers. */
export function parseYaml(file: string, text: string): { doc?: SourceDocument; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true });
  const issues: ConfigIssue[] = document.errors.map((e) => ({
    file,
    line: e.linePos?.[0]?.line,
    path: "",
    message: `YAML syntax error: ${e.message.split("\n")[0]}`,
  }));
  if (issues.length > 0) return { issues };
  const lines = new Map<string, number>();
  const lineOf = (n: Node | null | undefined): number | undefined => (n?.range ? lineCounter.linePos(n.range[0]).line : undefined);
  const walk = (node: unknown, segs: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const at = [...segs, key];
        const line = lineOf(pair.key as Node);
        if (line) lines.set(pathKey(at), line);
        walk(pair.value, at);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const plain = isMap(item) ? (item.get("name") as unknown) : undefined;
        const at = [...segs, typeof plain === "string" ? plain : i];
        const line = lineOf(item as Node);
        if (line) lines.set(pathKey(at), line);
        walk(item, at);
      });
    }
  };
  walk(document.contents, []);
  const data = document.toJS() ?? {};
  return { doc: { file, data, lines }, issues: [] };
}

/** The line of `segments` in `doc`, or of its nearest ancestor that has one. */
export function lineAt(doc: SourceDocument, segments: readonly (string | number)[]): number | undefined {
  for (let n = segments.length; n > 0; n--) {
    const l = doc.lines.get(pathKey(segments.slice(0, n)));
    if (l) return l;
  }
  return undefined;
}
