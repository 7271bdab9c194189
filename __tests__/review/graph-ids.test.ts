/*
 * envkit graph: a node per service, one for the internet and one per egress destination, none
 * shared — a service named "internet", an egress host named like a service, or two hosts that
 * differ only in punctuation drew one node for two things (found from outside, 2026-12-03).
 */
import type { EnvironmentModel } from "../../lib/model/environment";
import { toDot, toMermaid } from "../../lib/review/graph";

const svc = (name: string, extra: Record<string, unknown> = {}) => ({ name, kind: "stateless", public: false, ports: [{ name: "http", port: 8080 }], egress: [], runBefore: [], ...extra });
const env = {
  app: "shop",
  name: "dev",
  services: [
    svc("internet", { public: true }),
    svc("the-internet"),
    svc("egress-1"),
    svc("api", { egress: [{ host: "api", port: 443, protocol: "tcp" }, { host: "a.b", port: 443, protocol: "tcp" }, { host: "a-b", port: 443, protocol: "tcp" }] }),
  ],
  connections: [{ from: "internet", to: "api", port: 8080, protocol: "tcp" }],
} as unknown as EnvironmentModel;

/** Node ids a mermaid source declares (`id[...]`, `id((...))`, `id{{...}}`). */
const mermaidNodes = (text: string): string[] => text.split("\n").flatMap((l) => /^ {2}([A-Za-z0-9_]+)[[({]/.exec(l)?.[1] ?? []);
/** Node statements of a dot source (`id [shape=…]`). */
const dotNodes = (text: string): string[] => text.split("\n").flatMap((l) => /^ {2}("[^"]*"|[A-Za-z0-9_]+) \[shape=/.exec(l)?.[1] ?? []);

describe("graph node ids", () => {
  it("mermaid: the internet, each service and each egress destination are distinct nodes", () => {
    const nodes = mermaidNodes(toMermaid(env));
    expect(nodes).toHaveLength(4 + 1 + 3);
    expect(new Set(nodes).size).toBe(nodes.length);
  });

  it("dot: the same, and no edge from a service to itself", () => {
    const text = toDot(env);
    const nodes = dotNodes(text);
    expect(nodes).toHaveLength(4 + 1 + 3);
    expect(new Set(nodes).size).toBe(nodes.length);
    expect(text).not.toMatch(/"api" -> "api"/);
    expect(text).toContain('egress_1_ [shape=doublecircle, label="api"];');
  });
});
