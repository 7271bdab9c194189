import { Construct } from "constructs";
import { EnvkitError } from "../errors";
import { DeclaredSecret, declarationsOf } from "./declarations";

/** Props of {@link Secret}. */
export interface SecretProps {
  /**
   * The secret's name: lowercase letters, digits and `_`, starting with a letter; it becomes the
   * Terraform variable `TF_VAR_<name>` that supplies the value at apply time. @default the construct id
   */
  readonly name?: string;
  /**
   * Rotation counter: bump it to push a new value (Kubernetes write-only secrets re-send the value
   * only when it changes). @default 1
   */
  readonly revision?: number;
}

/**
 * A secret of the environment, by name only: its value never appears in code, configuration,
 * synthesized JSON or snapshots. Services that list it read it as a file.
 */
export class Secret extends Construct implements DeclaredSecret {
  public readonly secretName: string;
  public readonly revision?: number;

  constructor(scope: Construct, id: string, props: SecretProps = {}) {
    super(scope, id);
    this.secretName = props.name ?? id;
    this.revision = props.revision;
    const declarations = declarationsOf(this, "secret");
    declarations.add(this, () => {
      const clash = declarations.secrets.find((s) => s.secretName === this.secretName);
      if (clash) throw new EnvkitError([{ file: this.node.path, path: "name", message: `secret "${this.secretName}" is already declared by ${clash.node.path}; declare it once and pass the same Secret to each service` }]);
      declarations.secrets.push(this);
    });
  }

  /** The Terraform variable that supplies the value (`TF_VAR_<name>` in the environment of terraform). */
  public get variableName(): string {
    return this.secretName;
  }

  /** Where a service reads the value: `/run/secrets/<name>`. */
  public get path(): string {
    return `/run/secrets/${this.secretName}`;
  }

  /** The environment variable holding {@link path} in each service that uses it: `<NAME>_FILE`. */
  public get fileVariable(): string {
    return `${this.secretName.toUpperCase()}_FILE`;
  }
}
