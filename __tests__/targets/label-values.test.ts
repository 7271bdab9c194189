import fc from "fast-check";
import { ServiceModel } from "../../lib/model/environment";
import { labelSafeVersion } from "../../lib/targets/shared/labels";

/** Kubernetes' IsValidLabelValue (k8s.io/apimachinery validation), which the provider checks at plan. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const withTag = (tag: string): ServiceModel => ({ image: { repository: "ghcr.io/acme/api", tag } }) as unknown as ServiceModel;

describe("the version label", () => {
  it.each([
    ["1.0.0_", "1.0.0"],
    ["_rc1", "rc1"],
    ["1.0-", "1.0"],
    ["___", "unknown"],
    [`1.${"0".repeat(60)}-beta`, `1.${"0".repeat(60)}`],
  ])("of tag %j is %j: a label value begins and ends with a letter or digit", (tag, label) => {
    expect(labelSafeVersion(withTag(tag))).toBe(label);
  });

  it("is a valid label value of at most 63 characters for any tag Docker accepts", () => {
    const tagChar = fc.constantFrom(..."abcXYZ019_.-");
    const tag = fc
      .tuple(fc.constantFrom(..."aZ9_"), fc.array(tagChar, { maxLength: 127 }))
      .map(([first, rest]) => first + rest.join(""));
    fc.assert(
      fc.property(tag, (t) => {
        const v = labelSafeVersion(withTag(t));
        return v.length <= 63 && LABEL_VALUE.test(v);
      }),
      { numRuns: 500 },
    );
  });
});
