import { Construct, IValidation } from "constructs";
import { ConfigIssue, EnvkitError, formatIssue } from "../errors";
import { Aspects, TerraformProvider, TerraformResource, TerraformStack } from "../facade/cdktf";
import type { EnvironmentModel, TargetName } from "../model/environment";
import { evaluateEnvironment, stackFile } from "../policy/engine";
import { Declarations, PrebuiltEnvironment, holdDeclarations } from "./declarations";
import { EnvironmentSettings, lowerEnvironment, resolveDeclarations } from "./lowering";
import { Once } from "./once";

/** Props of {@link Environment}. */
export interface EnvironmentProps {
  /** The application's name: the `<app>` in every resource name (`<app>-<env>-<service>`). */
  readonly app: string;
  /** The environment's name (a DNS label). @default the construct id */
  readonly name?: string;
  /** Where it runs: `"docker"` (one host) or `"kubernetes"`. */
  readonly target: TargetName;
  /**
   * Everything an environment file sets besides services: `network.subnet`, `policy`, `rollout`,
   * `domain`, the target's own block (`docker: {host}`, `kubernetes: {context}`), … Checked and
   * defaulted exactly like the file. Not `backend`: the environment's state is wherever its stack
   * keeps it (configure the backend on your stack, or use `EnvironmentStack`, which sets it from
   * `backend`). @default {} (the documented defaults)
   */
  readonly settings?: Omit<EnvironmentSettings, "backend">;
  /**
   * The provider every resource uses (your own, perhaps aliased). @default the stack's default
   * provider of the target's type when there is one, else one created from `settings`
   */
  readonly provider?: TerraformProvider;
  /** Receives each advisory guardrail finding once, as a formatted line. @default printed to stderr */
  readonly onWarning?: (line: string) => void;
}

/**
 * An environment inside a stack of your own, next to your own resources and provider: declare
 * its services, secrets and quota under it. When the stack is synthesized it is resolved with the
 * same checks and defaults as a configuration folder, lowered through its target's adapter, and
 * judged by every guardrail (a mandatory finding fails `app.synth()`). For one environment per
 * stack with its own state backend, use `EnvironmentStack`.
 */
export class Environment extends Construct {
  public readonly environmentName: string;
  private readonly declarations: Declarations;
  private readonly props: EnvironmentProps;
  private readonly lowering = new Once<PrebuiltEnvironment>();
  private warned = false;

  constructor(scope: Construct, id: string, props: EnvironmentProps) {
    super(scope, id);
    this.environmentName = props.name ?? id;
    this.props = props;
    this.declarations = new Declarations(() => this.node.path);
    holdDeclarations(this, this.declarations);
    // Lowered when cdktf invokes aspects (first thing in synthesis), so everything declared after
    // this constructor counts; validations (the guardrails) run after every aspect.
    Aspects.of(this).add({
      visit: (node) => {
        if (node !== this) return;
        try {
          this.lower();
        } catch (e) {
          // The guardrail validation reports it, with the other validations' errors.
          if (!(e instanceof EnvkitError)) throw e;
        }
      },
    });
    this.node.addValidation(this.guardrailValidation());
  }

  /** The `<app>-<env>` prefix of every resource name (the namespace on Kubernetes). */
  public get scopedName(): string {
    return `${this.props.app}-${this.environmentName}`;
  }

  /** The resolved model (lowering it if that has not happened yet). */
  public get model(): EnvironmentModel {
    return this.lower().model;
  }

  /** Resolves and lowers the declarations now (idempotent); synthesis calls it. */
  public lower(): PrebuiltEnvironment {
    return this.lowering.get(() => this.lowerOnce());
  }

  private lowerOnce(): PrebuiltEnvironment {
    // Typed away, but a JavaScript caller (or a cast) can still pass it: it would be ignored.
    if ((this.props.settings as { backend?: unknown } | undefined)?.backend !== undefined) {
      throw new EnvkitError([
        {
          file: this.node.path,
          path: "backend",
          message:
            "an Environment inside your own stack keeps its state wherever that stack does, so settings.backend would be ignored: remove it and configure the backend on the stack (for example new S3Backend(stack, { bucket, key, region })), or use EnvironmentStack, which sets its stack's backend from it",
        },
      ]);
    }
    const resolved = resolveDeclarations(this.declarations, { app: this.props.app, name: this.environmentName, target: this.props.target, settings: this.props.settings ?? {} }, this.node.path);
    this.declarations.seal(`${this.node.path} at synthesis`);
    lowerEnvironment(this, resolved.model, this.props.provider);
    return resolved;
  }

  private guardrailValidation(): IValidation {
    return {
      validate: () => {
        let resolved: PrebuiltEnvironment;
        try {
          resolved = this.lower();
        } catch (e) {
          if (e instanceof EnvkitError) return e.issues.map(formatIssue);
          throw e;
        }
        // The JSON pass judges this environment's own resources in the stack's document.
        const stack = TerraformStack.of(this);
        const mine = new Set(this.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource).map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`));
        const document = stack.toTerraform() as { resource?: Record<string, Record<string, Record<string, unknown>>> };
        const resource: Record<string, Record<string, Record<string, unknown>>> = {};
        for (const [type, byId] of Object.entries(document.resource ?? {})) {
          for (const [rid, body] of Object.entries(byId)) if (mine.has(`${type}.${rid}`)) (resource[type] ??= {})[rid] = body;
        }
        const report = evaluateEnvironment({ model: resolved.model, provenance: resolved.provenance }, { stack: { ...document, resource }, stackFile: stackFile("<synthesized>", stack.node.id) });
        const located = (i: ConfigIssue): ConfigIssue => (i.file ? i : { ...i, file: this.node.path });
        const warnings = report.issues.filter((i) => i.severity === "warning");
        if (!this.warned && warnings.length > 0) {
          this.warned = true;
          const print = this.props.onWarning ?? ((line: string) => process.stderr.write(`${line}\n`));
          for (const w of warnings) print(formatIssue(located(w)));
        }
        return report.issues.filter((i) => i.severity !== "warning").map((i) => formatIssue(located(i)));
      },
    };
  }
}
