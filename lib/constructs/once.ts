import { EnvkitError } from "../errors";

/**
 * A computation that runs at most once: its value is kept, and so is its configuration error,
 * since lowering an environment half-way creates constructs that a second attempt would clash with.
 */
export class Once<T> {
  private value?: T;
  private failure?: EnvkitError;

  /** The value, computing it on first call; the same EnvkitError again after a failed first call. */
  public get(compute: () => T): T {
    if (this.value !== undefined) return this.value;
    if (this.failure) throw this.failure;
    try {
      this.value = compute();
      return this.value;
    } catch (e) {
      if (e instanceof EnvkitError) this.failure = e;
      throw e;
    }
  }

  /** Whether the computation has produced its value. */
  public get done(): boolean {
    return this.value !== undefined;
  }
}
