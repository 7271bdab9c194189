import { Construct } from "constructs";
import { BackendConfig } from "../lib/config/schema";
import { Aspects, AzurermBackend, GcsBackend, IndependentStack, LocalBackend, PgBackend, RemoteBackend, S3Backend, TerraformProvider, TerraformStack } from "../lib/facade/cdktf";
import { EnvironmentModel, TargetName } from "../lib/model/environment";
import { declareFromResolved, settingsOf } from "../lib/constructs/builder";
import { Declarations, PrebuiltEnvironment, holdDeclarations } from "../lib/constructs/declarations";
import { EnvironmentSettings, lowerEnvironment, resolveDeclarations } from "../lib/constructs/lowering";
import { adapterFor, supportedTargets } from "../lib/targets/registry";
import { ConfigIssue, EnvkitError, formatIssue } from "../lib/errors";
import { Provenance } from "../lib/config/resolve";
import { PolicyReport, evaluateEnvironment, stackFile } from "../lib/policy/engine";
import { Once } from "../lib/constructs/once";

/** What every {@link EnvironmentStack} accepts. */
interface CommonStackProps {
  /** Output folder that findings located in the synthesized stack name. @default "<synthesized>" */
  readonly displayDir?: string;
  /** Receives each advisory guardrail finding, once, as one formatted line. @default printed to stderr */
  readonly onWarning?: (line: string) => void;
  /**
   * The provider every resource uses (your own, perhaps aliased). @default the stack's default
   * provider of the target's type when you added one, else one created from the settings
   */
  readonly provider?: TerraformProvider;
}

/** An {@link EnvironmentStack} of an environment resolved from configuration (files or objects). */
export interface ResolvedStackProps extends CommonStackProps {
  /** The resolved environment (from `loadConfigDir`/`resolveObjects`). */
  readonly environment: EnvironmentModel;
  /**
   * Where each value came from (the `provenance` of the same `ResolvedEnvironment`), so guardrail
   * findings name `file:line`. @default findings name the config path only
   */
  readonly provenance?: Provenance;
}

/** An {@link EnvironmentStack} whose services, secrets and quota are declared as constructs under it. */
export interface DeclaredStackProps extends CommonStackProps {
  /** The application's name: the `<app>` in every resource name. */
  readonly app: string;
  /** Where it runs: `"docker"` (one host) or `"kubernetes"`. */
  readonly target: TargetName;
  /**
   * Everything an environment file sets besides services (`network`, `policy`, `rollout`,
   * `backend`, the target's own block, …), checked and defaulted exactly like the file.
   * @default {} (the documented defaults)
   */
  readonly settings?: EnvironmentSettings;
}

/** Props of {@link EnvironmentStack}: a resolved environment, or a definition for declared constructs. */
export type EnvironmentStackProps = ResolvedStackProps | DeclaredStackProps;

/**
 * One Terraform stack per environment, named after it, with its own state backend. Its services,
 * secrets and quota are the envkit constructs under it (`Service`, `StatefulService`, `Secret`,
 * `Quota`; `connectTo` between services) — declared in TypeScript, or built from a resolved
 * configuration (the YAML path builds the very same constructs). At synthesis they are resolved
 * with the configuration's checks and defaults and lowered through the target's adapter. Stacks
 * never reference each other, so `cdktf diff <env>` and `cdktf deploy <env>` work on one
 * environment alone — and synthesis can skip cdktf's cross-stack machinery (see
 * lib/facade/independent-stack.ts).
 */
export class EnvironmentStack extends IndependentStack {
  private readonly props: EnvironmentStackProps;
  private readonly declarations: Declarations;
  private readonly lowering = new Once<PrebuiltEnvironment>();
  /** A verdict and document computed ahead of synthesis; the next `toTerraform()` consumes them. */
  private kept?: { readonly report?: PolicyReport; readonly document: Record<string, unknown> };
  private warned = false;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id);
    this.props = props;
    this.declarations = new Declarations(() => this.node.path);
    holdDeclarations(this, this.declarations);
    if ("environment" in props) {
      // Fail at once on what no later declaration could fix.
      if (!adapterFor(props.environment.target)) {
        throw new EnvkitError([{ path: "target", message: `environment "${props.environment.name}": target "${props.environment.target}" is not implemented in this version of envkit; use one of ${supportedTargets().map((t) => `"${t}"`).join(", ")}` }]);
      }
      declareFromResolved(this, this.declarations, { model: props.environment, provenance: props.provenance });
      // A resolved environment is complete: lower it now, so its resources are there for escape
      // hatches right after construction (a later envkit construct is refused with a clear error).
      this.lower();
    }
    // Declared stacks are lowered when cdktf prepares the stack or invokes aspects (the first steps
    // of synthesis), so everything declared after this constructor counts.
    Aspects.of(this).add({ visit: (node) => void (node === this && this.tryLower()) });
    // Guardrails are part of synthesis: `app.synth()` runs this after aspects and before the stack
    // is written, so a mandatory finding fails every path that synthesizes (cdktf synth/deploy, a
    // consumer's app, envkit synth). `skipValidation: true` on the App skips it, as every validation.
    this.node.addValidation({ validate: () => this.validateGuardrails() });
  }

  /** The resolved environment this stack lowers (resolving and lowering its declarations now if needed). */
  public get environment(): EnvironmentModel {
    return this.lower().model;
  }

  /**
   * Resolves the declared constructs (unless they were built from a resolved environment and
   * nothing was declared since), configures the backend and lowers every resource through the
   * target's adapter. Idempotent; synthesis calls it, and so does the constructor of a stack built
   * from a resolved environment. Call it yourself to reach the lowered resources (escape hatches)
   * of a declared stack before synthesis. Throws an EnvkitError naming each problem.
   */
  public lower(): PrebuiltEnvironment {
    return this.lowering.get(() => this.lowerOnce());
  }

  private lowerOnce(): PrebuiltEnvironment {
    const props = this.props;
    const resolved =
      this.declarations.resolved ??
      resolveDeclarations(
        this.declarations,
        "environment" in props
          ? { app: props.environment.app, name: this.node.id, target: props.environment.target, settings: settingsOf(props.environment) }
          : { app: props.app, name: this.node.id, target: props.target, settings: props.settings ?? {} },
        this.node.path,
      );
    this.declarations.seal(`${this.node.path} at synthesis`);
    const clash = this.node.tryFindChild("backend");
    if (clash) {
      throw new EnvkitError([{ file: clash.node.path, path: "", message: `the id "backend" is where cdktf puts the stack's state backend; give this construct another id (a service keeps its name with \`name: "backend"\`)` }]);
    }
    configureBackend(this, resolved.model.backend);
    lowerEnvironment(this, resolved.model, props.provider);
    return resolved;
  }

  public prepareStack(): void {
    this.tryLower();
    super.prepareStack();
  }

  /** {@link lower}, leaving a configuration problem for the guardrail validation to report (with every other stack's). */
  private tryLower(): void {
    try {
      this.lower();
    } catch (e) {
      if (!(e instanceof EnvkitError)) throw e;
    }
  }

  /**
   * This environment's guardrails — the model pass and the JSON pass over this stack's own
   * Terraform document (the object cdktf writes as cdk.tf.json) — evaluated now. Cross-environment
   * rules (subnet overlap, promotion order) need every environment and run in `envkit validate`.
   */
  public guardrails(): PolicyReport {
    this.lower();
    return this.evaluate(super.toTerraform());
  }

  /**
   * {@link guardrails}, keeping the verdict and the document for the next `app.synth()`, which then
   * neither evaluates nor resolves this stack again (resolving is most of synthesis time). Only
   * for a finished stack: a change made afterwards would be neither judged nor written.
   */
  public checkForSynthesis(): PolicyReport {
    this.lower();
    const document = super.toTerraform();
    const report = this.evaluate(document);
    this.kept = { report, document };
    return report;
  }

  /** The stack's Terraform document; the one computed for the guardrails when synthesis just judged it. */
  public toTerraform(): Record<string, unknown> {
    const kept = this.kept;
    this.kept = undefined;
    if (kept) return kept.document;
    this.lower();
    return super.toTerraform();
  }

  private evaluate(document: Record<string, unknown>): PolicyReport {
    // The document being judged is in memory; a file in the App's outdir may be stale or unwritten.
    const outDir = this.props.displayDir ?? "<synthesized>";
    const resolved = this.lower();
    return evaluateEnvironment({ model: resolved.model, provenance: resolved.provenance }, { stack: document, stackFile: stackFile(outDir, this.node.id) });
  }

  /**
   * The construct validation. Fails with every mandatory finding once; prints advisory ones once.
   * When this stack fails, the stacks cdktf has not synthesized yet are judged too (as they are
   * now, before their aspects run), so one failed synth reports every environment.
   */
  private validateGuardrails(): string[] {
    let report = this.kept?.report;
    if (!report) {
      try {
        this.lower();
      } catch (e) {
        if (e instanceof EnvkitError) return e.issues.map((i) => formatIssue(this.named(i)));
        throw e;
      }
      const document = super.toTerraform();
      report = this.evaluate(document);
      // The synthesizer resolves this stack right after its validations: hand it this document
      // (unless it writes HCL, which does not call toTerraform).
      if (!(this.synthesizer as unknown as { hclOutput?: boolean }).hclOutput) this.kept = { document };
    }
    const errors = this.verdict(report);
    if (errors.length === 0) return [];
    const stacks = this.node.root.node.findAll().filter((c): c is EnvironmentStack => c instanceof EnvironmentStack);
    for (const later of stacks.slice(stacks.indexOf(this) + 1)) {
      try {
        errors.push(...later.verdict(later.kept?.report ?? later.guardrails()));
      } catch (e) {
        if (!(e instanceof EnvkitError)) throw e;
        errors.push(...e.issues.map((i) => formatIssue(later.named(i))));
      }
    }
    return errors;
  }

  /** Prints the advisory findings (once per stack) and returns the mandatory ones as lines. */
  private verdict(report: PolicyReport): string[] {
    const warnings = report.issues.filter((i) => i.severity === "warning");
    if (!this.warned && warnings.length > 0) {
      this.warned = true;
      const print = this.props.onWarning ?? ((line: string) => process.stderr.write(`${line}\n`));
      for (const w of warnings) print(formatIssue(this.named(w)));
    }
    return report.issues.filter((i) => i.severity !== "warning").map((i) => formatIssue(this.named(i)));
  }

  /** An issue without a file names the environment, so a line reported from another stack is clear. */
  private named(issue: ConfigIssue): ConfigIssue {
    return issue.file ? issue : { ...issue, file: `<environment ${this.node.id}>` };
  }
}

/** Applies the environment's backend; local state uses a relative path so output is portable. */
export function configureBackend(stack: TerraformStack, b: BackendConfig): void {
  // Backend settings are not escaped like other user strings: Terraform reads them verbatim, never
  // as templates (checked with terraform 1.11: local path "st-$${x}-${path.cwd}" names exactly that
  // file), so an escape would change the value. But OpenTofu >= 1.8 evaluates variables and locals
  // in backend blocks (its "early evaluation"; not checked here), and cdktf resolves its tokens
  // there. No bucket, key, path or workspace needs a template opener or a token marker, so they
  // are rejected.
  const unsafe = Object.entries(b).filter((e): e is [string, string] => typeof e[1] === "string" && /[$%]\{|TfToken\[/.test(e[1]));
  if (unsafe.length > 0) {
    throw new EnvkitError(
      unsafe.map(([key, value]) => ({
        path: `backend.${key}`,
        message: `environment "${stack.node.id}": ${JSON.stringify(value)} contains "\${", "%{" or "TfToken[", which some tools evaluate in backend settings and no backend setting needs; remove it`,
      })),
    );
  }
  switch (b.type) {
    case "local":
      new LocalBackend(stack, { path: b.path! });
      return;
    case "s3":
      new S3Backend(stack, { bucket: b.bucket, key: b.key, region: b.region, encrypt: b.encrypt ?? true, dynamodbTable: b.dynamodbTable });
      // S3-native locking (Terraform >= 1.10) is newer than cdktf 0.21's typed config.
      if (b.useLockfile !== undefined) stack.addOverride("terraform.backend.s3.use_lockfile", b.useLockfile);
      return;
    case "gcs":
      new GcsBackend(stack, { bucket: b.bucket, prefix: b.prefix });
      return;
    case "azurerm":
      new AzurermBackend(stack, { resourceGroupName: b.resourceGroupName, storageAccountName: b.storageAccountName, containerName: b.containerName, key: b.key });
      return;
    case "pg":
      new PgBackend(stack, { connStr: "", schemaName: b.schemaName });
      // The connection string holds a password: Terraform reads it from PG_CONN_STR instead.
      stack.addOverride("terraform.backend.pg.conn_str", undefined);
      return;
    case "remote":
      new RemoteBackend(stack, { organization: b.organization, hostname: b.hostname, workspaces: { name: b.workspace } });
      return;
  }
}
