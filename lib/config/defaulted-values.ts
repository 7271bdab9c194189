import type { DefaultRule } from "./defaults";
import { pathKey } from "./yaml-source";

/** One rule's record: its path split at the dots, and the places (bindings of its `*`s) it filled. */
interface RuleRecord {
  readonly rule: DefaultRule;
  readonly segs: readonly string[];
  /** The bindings of the rule's `*` segments at each place it filled, as {@link bindingKey} writes them. */
  readonly at: Set<string>;
}

/**
 * The values of one environment's effective document that a default filled in, and by which
 * rule — what `envkit explain` and every message's `file:line` ask of a value ("was it
 * defaulted?"), recorded per rule rather than per value: a rule such as
 * `services.*.security.user` notes only the service name it was applied for (the same string
 * the document's key already is), not the value's whole path as a new string. A 1,000-service
 * environment gets ~35,000 defaults; a map from every path to its rule was 3.9 MB of the heap
 * per environment (2026-12-02), for an answer the normal path asks for a handful of times.
 *
 * Values derived later by literal path (a budget's quota, `set`) are kept by path, and win over a
 * rule's record of the same path: a budget replaces the limit range's defaulted values.
 */
export class DefaultedValues {
  /** The rules that filled at least one value, by the number of segments of their path. */
  private readonly byLength = new Map<number, RuleRecord[]>();
  private readonly byRule = new Map<DefaultRule, RuleRecord>();
  /** Values entered by literal path: path key → the rule that explains them. */
  private readonly literal = new Map<string, DefaultRule>();

  /**
   * Notes that `rule`, whose path is `segs` (split at the dots), filled the value where its `*`
   * segments bind `bound` (in order; empty for a path without `*`).
   */
  public applied(rule: DefaultRule, segs: readonly string[], bound: readonly string[]): void {
    let rec = this.byRule.get(rule);
    if (!rec) {
      rec = { rule, segs, at: new Set() };
      this.byRule.set(rule, rec);
      const same = this.byLength.get(segs.length);
      if (same) same.push(rec);
      else this.byLength.set(segs.length, [rec]);
    }
    rec.at.add(bindingKey(bound));
  }

  /** Enters the value at `segments` as derived by `rule` (which need not be one of the documented defaults). */
  public set(segments: readonly (string | number)[], rule: DefaultRule): void {
    this.literal.set(pathKey(segments), rule);
  }

  /**
   * The rule that filled the value at the first `length` of `segments` (all of them by
   * default), or undefined when no default did. List items are addressed as in config paths (by
   * name, else by index).
   */
  public get(segments: readonly (string | number)[], length = segments.length): DefaultRule | undefined {
    if (this.literal.size > 0) {
      const derived = this.literal.get(pathKey(length === segments.length ? segments : segments.slice(0, length)));
      if (derived) return derived;
    }
    const candidates = this.byLength.get(length);
    if (!candidates) return undefined;
    const bound: string[] = [];
    for (const rec of candidates) {
      bound.length = 0;
      let i = 0;
      for (; i < length; i++) {
        const seg = rec.segs[i];
        const at = String(segments[i]);
        if (seg === "*") bound.push(at);
        else if (seg !== at) break;
      }
      if (i === length && rec.at.has(bindingKey(bound))) return rec.rule;
    }
    return undefined;
  }
}

/**
 * The key of one place a rule filled: its `*` bindings. One binding (a service name, the usual
 * case) is its own key, so recording it allocates nothing; none is ""; several are written as a
 * JSON list. A rule's path has a fixed number of `*`s, so the keys in one rule's set never mix
 * these forms.
 */
function bindingKey(bound: readonly string[]): string {
  return bound.length === 1 ? bound[0] : bound.length === 0 ? "" : JSON.stringify(bound);
}
