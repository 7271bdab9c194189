import { EnvironmentModel, ServiceModel } from "../../model/environment";

/** Label keys, shared by every target so selectors and reports agree. */
export const LABEL = {
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  partOf: "app.kubernetes.io/part-of",
  version: "app.kubernetes.io/version",
  managedBy: "app.kubernetes.io/managed-by",
  environment: "envkit.dev/environment",
} as const;

/** Labels of everything that belongs to the environment. */
export function environmentLabels(env: EnvironmentModel): Record<string, string> {
  return { [LABEL.partOf]: env.app, [LABEL.environment]: env.name, [LABEL.managedBy]: "envkit" };
}

/** The stable subset that selects a service's pods/containers (never includes the version). */
export function selectorLabels(env: EnvironmentModel, svc: ServiceModel): Record<string, string> {
  return { [LABEL.name]: svc.name, [LABEL.instance]: `${env.app}-${env.name}` };
}

/** Labels of a service's supporting resources (no version, so a release bump changes only the workload). */
export function componentLabels(env: EnvironmentModel, svc: ServiceModel): Record<string, string> {
  return { ...environmentLabels(env), ...selectorLabels(env, svc) };
}

/** Labels of a service's workload and pods: component labels + version (a label-safe form). */
export function serviceLabels(env: EnvironmentModel, svc: ServiceModel): Record<string, string> {
  return { ...componentLabels(env, svc), [LABEL.version]: labelSafeVersion(svc) };
}

/**
 * A label value: at most 63 characters of [A-Za-z0-9_.-] that begin and end with a letter or
 * digit (Kubernetes' IsValidLabelValue, which the provider checks at plan): the tag, or the
 * digest prefix. A tag Docker allows but a label does not (`1.0.0_`, `_rc`, or one cut at a `-`
 * by the length limit) loses its leading and trailing punctuation; one of punctuation only is
 * `unknown`.
 */
export function labelSafeVersion(svc: ServiceModel): string {
  const v = svc.image.tag ?? svc.image.digest?.replace("sha256:", "sha256-").slice(0, 19) ?? "unknown";
  return v.slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "") || "unknown";
}

/**
 * Labels of a service's workload and pods with the user's own (`services.<svc>.labels`) under
 * them: envkit's keys always win, so a selector can never be overridden (validation refuses
 * the envkit.dev/ and app.kubernetes.io/ namespaces as well).
 */
export function workloadLabels(env: EnvironmentModel, svc: ServiceModel): Record<string, string> {
  return { ...(svc.labels ?? {}), ...serviceLabels(env, svc) };
}
