/*
 * A small reference model of how Terraform evaluates one string of a `*.tf.json` file, written from
 * hashicorp/hcl (v2, read at commit 2efc2662) and independent of envkit's escape:
 *
 * - json/structure.go, expression.Value: with an evaluation context (every attribute Terraform
 *   evaluates, object keys included), the JSON string's contents are parsed by
 *   hclsyntax.ParseTemplate — a *bare* template, with no surrounding quotes.
 * - hclsyntax/scan_tokens.rl, bareTemplate: `TemplateInterp = "${" "~"?` and
 *   `TemplateControl = "%{" "~"?` open live sequences. `TemplateNotInterp = '$' (^'{' held back |
 *   TemplateInterp)`: a `$` not followed by `{` is one literal byte, and `$${` (or `$${~`) is a
 *   literal token; likewise `%` with `%%{`. The scanner takes the longest match, so in `$$${` the
 *   first `$` is literal and `$${` follows. A trailing lone `$`/`%` is literal (end of input).
 *   scanTokens also drops a leading UTF-8 byte order mark (stripUTF8BOM).
 * - hclsyntax/scan_string_lit.rl (unquoted mode) and parser.go ParseStringLiteralToken: a literal
 *   slice `$${` renders `${` and `%%{` renders `%{`; backslash sequences are escapes only in quoted
 *   strings, so in a JSON-syntax template every backslash is literal.
 * - cty.StringVal normalizes every string to Unicode NFC.
 *
 * __tests__/integration/terraform-inert.test.ts checks this model against real terraform.
 */

/** Index of every live template opener (`${` or `%{` that Terraform would evaluate) in a template. */
export function liveOpeners(template: string): number[] {
  const live: number[] = [];
  scan(template, (i) => live.push(i));
  return live;
}

/**
 * The literal text of a template without live sequences, i.e. every `$${` → `${` and `%%{` → `%{`,
 * everything else as is. Throws on a live `${`/`%{`: its value would depend on evaluation.
 */
export function templateLiteralValue(template: string): string {
  return scan(template, (i) => {
    throw new Error(`live template sequence at ${i} in ${JSON.stringify(template)}`);
  });
}

/** The string Terraform computes: {@link templateLiteralValue} plus Terraform's normalizations. */
export function terraformStringValue(template: string): string {
  return terraformNormalized(templateLiteralValue(template));
}

/** What Terraform makes of a literal string: a leading byte order mark dropped, then NFC. */
export function terraformNormalized(s: string): string {
  return (s.startsWith("\uFEFF") ? s.slice(1) : s).normalize("NFC");
}

/** Walks a template as the bare-template scanner does; live openers are reported and kept as text. */
function scan(t: string, onLive: (index: number) => void): string {
  let out = "";
  let i = 0;
  while (i < t.length) {
    const c = t[i];
    if (c === "$" || c === "%") {
      if (t[i + 1] === "{") {
        onLive(i);
        out += `${c}{`;
        i += 2;
        continue;
      }
      if (t[i + 1] === c && t[i + 2] === "{") {
        out += `${c}{`;
        i += 3;
        continue;
      }
    }
    out += c;
    i += 1;
  }
  return out;
}
