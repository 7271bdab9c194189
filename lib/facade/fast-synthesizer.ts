/*
 * cdktf 0.21.0's StackSynthesizer (cdktf/lib/synthesize/synthesizer.js:30-79), step for step,
 * except the last: the stack document is serialized by stableJson (the same bytes as the
 * json-stable-stringify call there, without its per-value indirections). Used only behind the
 * version check in cdktf-internals.ts; HCL output goes to the stock synthesizer unchanged.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AnnotationMetadataEntryType, IStackSynthesizer, ISynthesisSession, TerraformStack } from "cdktf";
import { ConstructOrder, IConstruct, MetadataEntry } from "constructs";
import { CdktfInternals } from "./cdktf-internals";
import { stableJson } from "./stable-json";

/** The stock synthesizer's fields (private there, read here as cdktf itself does). */
interface StockSynthesizer extends IStackSynthesizer {
  readonly continueOnErrorAnnotations?: boolean;
  readonly hclOutput?: boolean;
}

const ANNOTATION_TYPES: readonly string[] = [AnnotationMetadataEntryType.INFO, AnnotationMetadataEntryType.WARN, AnnotationMetadataEntryType.ERROR];
const CUSTOM_SYNTHESIS = Symbol.for("cdktf/customSynthesis");

interface Annotation {
  readonly constructPath: string;
  readonly level: AnnotationMetadataEntryType;
  readonly message: unknown;
  readonly stacktrace?: string[];
}

/** A stack synthesizer that writes the same files as cdktf's, faster. */
export class FastStackSynthesizer implements IStackSynthesizer {
  constructor(
    private readonly stack: TerraformStack,
    private readonly stock: StockSynthesizer,
    private readonly internals: CdktfInternals,
  ) {}

  /** Whether synthesis writes HCL (read by stacks that keep their document for the synthesizer). */
  public get hclOutput(): boolean {
    return this.stock.hclOutput === true;
  }

  public synthesize(session: ISynthesisSession): void {
    if (this.hclOutput) return this.stock.synthesize(session);
    const stack = this.stack;
    this.internals.invokeAspects(stack);
    if (stack.hasResourceMove()) {
      stack.node.addValidation(new this.internals.ValidateTerraformVersion(">=1.5", `Resource move functionality is only supported for Terraform >=1.5. Please upgrade your Terraform version.`));
    }
    if (!session.skipValidation) stack.runAllValidations();
    const stackManifest = session.manifest.forStack(stack);
    const workingDirectory = path.join(session.outdir, stackManifest.workingDirectory);
    if (!fs.existsSync(workingDirectory)) fs.mkdirSync(workingDirectory);
    for (const node of stack.node.findAll(ConstructOrder.POSTORDER)) {
      (node as IConstruct & { [CUSTOM_SYNTHESIS]?: { onSynthesize(s: ISynthesisSession): void } })[CUSTOM_SYNTHESIS]?.onSynthesize(session);
    }
    const annotations: Annotation[] = [];
    for (const node of stack.node.findAll()) {
      for (const m of node.node.metadata as MetadataEntry[]) {
        if (ANNOTATION_TYPES.includes(m.type)) annotations.push({ constructPath: node.node.path, level: m.type as AnnotationMetadataEntryType, message: m.data, stacktrace: m.trace });
      }
    }
    // Readonly in the manifest's type; cdktf's synthesizer writes it at this point too.
    (stackManifest as { annotations: unknown }).annotations = annotations;
    const errors = annotations.filter((a) => a.level === AnnotationMetadataEntryType.ERROR);
    if (!this.stock.continueOnErrorAnnotations && errors.length > 0) {
      throw this.internals.encounteredAnnotationWithLevelError(errors.map((a) => `[${a.constructPath}] ${String(a.message)}`).join("\n"));
    }
    fs.writeFileSync(path.join(session.outdir, stackManifest.synthesizedStackPath), stableJson(stack.toTerraform()) as string);
  }
}
