import fc from "fast-check";
import { EnvkitError, formatIssue, sortIssues } from "../lib/errors";

describe("issue order", () => {
  it("sorts issues by file, then line, keeping located ones first and ties in order (property)", () => {
    const issue = fc.record({ file: fc.option(fc.constantFrom("a.yaml", "b.yaml"), { nil: undefined }), line: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }), path: fc.constant(""), message: fc.string() });
    fc.assert(
      fc.property(fc.array(issue), (issues) => {
        const sorted = sortIssues(issues);
        expect(sorted).toHaveLength(issues.length);
        for (let i = 1; i < sorted.length; i++) {
          const a = sorted[i - 1];
          const b = sorted[i];
          const fa = a.file ?? "\uffff";
          const fb = b.file ?? "\uffff";
          expect(fa.localeCompare(fb) <= 0).toBe(true);
          if (fa === fb) expect((a.line ?? Infinity) <= (b.line ?? Infinity)).toBe(true);
        }
      }),
    );
  });
});

describe("formatIssue and EnvkitError", () => {
  it("formats file:line: path: message, marking warnings", () => {
    expect(formatIssue({ file: "a.yaml", line: 3, path: "x.y", message: "bad" })).toBe("a.yaml:3: x.y: bad");
    expect(formatIssue({ file: "a.yaml", path: "x", message: "m", severity: "warning" })).toBe("a.yaml: warning: x: m");
    expect(formatIssue({ path: "", message: "plain" })).toBe("plain");
  });

  it("carries every issue, sorted, in its message", () => {
    const e = new EnvkitError([{ file: "b.yaml", line: 1, path: "p", message: "second" }, { file: "a.yaml", line: 9, path: "p", message: "first" }]);
    expect(e.message).toBe("a.yaml:9: p: first\nb.yaml:1: p: second");
    expect(e.issues).toHaveLength(2);
  });
});
