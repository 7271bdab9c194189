import { ConfigIssue, EnvkitError } from "../../errors";
import { EnvironmentModel } from "../../model/environment";

/*
 * Terraform reads every string in an expression position of a `*.tf.json` file as a template:
 * `${…}` interpolates (`${file("/etc/passwd")}`, `${var.db_password}`) and `%{…}` runs a directive.
 * A string that came from the user's configuration must therefore be escaped before it reaches
 * the JSON, or `terraform plan` evaluates it on the operator's machine.
 *
 * HCL's escapes (hashicorp/hcl hclsyntax/scan_tokens.rl, `TemplateNotInterp`/`TemplateNotControl`,
 * and `ParseStringLiteralToken`): `$${` renders `${` and `%%{` renders `%{`; a `$` or `%` not
 * followed by `{` is literal, so is every backslash (JSON-syntax templates are bare templates, which
 * have no backslash escapes). A run of k ≥ 2 `$` before `{` renders k − 1 `$` and the `{`; a run of
 * one is a live interpolation. Doubling the last marker before every `{` therefore maps a run of
 * m ≥ 1 to m + 1 ≥ 2, which renders exactly the m of the input and is never live. Checked against
 * terraform 1.11 by __tests__/integration/terraform-inert.test.ts.
 */

/** The template openers Terraform evaluates: `${` (interpolation) and `%{` (directive). */
const TEMPLATE_OPENER = /([$%])\{/g;

/**
 * The text a {@link terraformLiteral} renders, i.e. its inverse: for values envkit encodes itself
 * before Terraform sees them (base64 of a config file), where the escapes must not be encoded.
 * Exact because every `{` after a marker in an escaped string follows at least two markers.
 */
export function fromTerraformLiteral(s: string): string {
  return s.includes("{") ? s.replace(/([$%])\1\{/g, "$1{") : s;
}

/**
 * Escapes a string so that Terraform's template evaluation of it, as a JSON string, returns exactly
 * `s`. Terraform itself still normalizes every string to Unicode NFC and drops a leading U+FEFF
 * (both checked with terraform 1.11); neither evaluates anything, and no literal escape avoids them.
 */
export function terraformLiteral(s: string): string {
  return s.includes("{") ? s.replace(TEMPLATE_OPENER, "$1$1{") : s;
}

/** Substring of every cdktf string, list and map token (`${TfToken[…]}`, `#{TfToken[…]}`, `&{TfToken[…]}`). */
const TOKEN_MARK = "TfToken[";
/** Strings cdktf reserves for map tokens; it throws (with a stack trace) when it meets one in a string. */
const MAP_TOKEN_STRINGS: ReadonlySet<string> = new Set(["String Map Token Value", "Any Map Token Value"]);
/** cdktf's own pattern (tokens/private/encoding.js) for number tokens written into a string. */
const NUMBER_IN_STRING = /[-|\d|.+]+(e[-|\d|.|e|E|+]+)/g;
/** cdktf's number map token value: a number equal to it makes cdktf throw. */
const NUMBER_MAP_TOKEN = -123456789;

const DOUBLE = new DataView(new ArrayBuffer(8));

/**
 * Whether a number is one of cdktf's encoded token doubles: the top 16 bits of the IEEE 754 value
 * are 0xFDFF (string/number tokens) or 0xFBFF (list tokens), as in cdktf's `extractTokenDouble`.
 * Both are negative with a magnitude of at least 2^960, which settles every ordinary number at once.
 */
function isTokenDouble(n: number): boolean {
  if (!(n <= -1e288)) return false;
  DOUBLE.setFloat64(0, n);
  const top = DOUBLE.getUint16(0);
  return top === 0xfdff || top === 0xfbff;
}

/**
 * Why cdktf would treat this model string as one of its tokens, or undefined. cdktf resolves a
 * token in any string it synthesizes, so a user string carrying one would be replaced by a
 * reference to another resource — for example the sensitive variable of a secret.
 */
export function cdktfTokenProblem(s: string): string | undefined {
  if (s.includes(TOKEN_MARK)) return `contains "${TOKEN_MARK}", cdktf's token marker`;
  if (MAP_TOKEN_STRINGS.has(s)) return "is a value cdktf reserves for map tokens";
  // A token double's text always has a digit before its "e" ("-1.888…e+289"): a cheap pre-test.
  if (!/\de/.test(s)) return undefined;
  for (const m of s.matchAll(NUMBER_IN_STRING)) {
    if (isTokenDouble(parseFloat(m[0]))) return `contains "${m[0]}", the text of a cdktf number token`;
  }
  return undefined;
}

/** At most 60 characters of a value, JSON-quoted, for an error message. */
function shown(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

/** Model fields `inertModel` leaves alone, with why. */
const UNTOUCHED: ReadonlySet<string> = new Set([
  // The effective configuration document is for explain/compare; lowering never reads it.
  "effective",
  // Backend settings are not templates (Terraform reads them verbatim, checked with terraform
  // 1.11), so escaping would change them; configureBackend rejects template openers instead.
  "backend",
]);

/** Models returned by {@link inertModel}: escaping one again would double the escapes. */
const INERT = new WeakSet<EnvironmentModel>();

/**
 * A deep copy of the model in which every string — values and record keys alike (JSON object keys
 * are templates too) — is a {@link terraformLiteral}, so no user string can be evaluated by
 * Terraform. Strings envkit builds itself as references are cdktf tokens created during lowering,
 * not model strings, and stay live. Throws an {@link EnvkitError} naming every model path whose
 * string (or number) cdktf would resolve as one of its tokens. A model it returned is returned as
 * is, so constructs may call it too without escaping twice.
 */
export function inertModel(env: EnvironmentModel): EnvironmentModel {
  if (INERT.has(env)) return env;
  const issues: ConfigIssue[] = [];
  // The path is built only when there is something to report (this walk runs on every synthesis).
  const at: (string | number)[] = [];
  const report = (message: string): void => {
    issues.push({ path: at.join("."), message: `environment "${env.name}": ${message}` });
  };
  const check = (s: string): void => {
    const problem = cdktfTokenProblem(s);
    if (problem) report(`${shown(s)} ${problem}; cdktf would replace it with a reference to another resource (such as a secret), so it can never come from configuration; remove it`);
  };
  const copy = (value: unknown): unknown => {
    if (typeof value === "string") {
      check(value);
      return terraformLiteral(value);
    }
    if (typeof value === "number") {
      if (isTokenDouble(value) || value === NUMBER_MAP_TOKEN) report(`${value} is the encoding of a cdktf token; use another number`);
      return value;
    }
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i++) {
        // Items of named lists (services, ports, volumes…) are addressed by name, as in config paths.
        const name = (value[i] as { name?: unknown } | null)?.name;
        at.push(typeof name === "string" ? name : i);
        out.push(copy(value[i]));
        at.pop();
      }
      return out;
    }
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const v = (value as Record<string, unknown>)[key];
        if (at.length === 0 && UNTOUCHED.has(key)) {
          out[key] = v;
          continue;
        }
        // The target's settings are the environment file's block named after the target.
        at.push(at.length === 0 && key === "targetOptions" ? env.target : key);
        check(key);
        out[terraformLiteral(key)] = copy(v);
        at.pop();
      }
      return out;
    }
    return value;
  };
  const inert = copy(env) as EnvironmentModel;
  if (issues.length) throw new EnvkitError(issues);
  INERT.add(inert);
  return inert;
}
