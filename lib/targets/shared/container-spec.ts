import { formatDuration } from "../../model/duration";
import { EnvironmentModel, HealthModel, SecurityModel, ServiceModel } from "../../model/environment";
import { inContainerTest, singleCheckTimings } from "./health";
import { serviceEnvironment } from "./service-env";

/*
 * What a container of a service looks like to any target that runs containers through a Docker
 * engine API (single host or Swarm): the same health check, environment, user, labels, log
 * rotation and stop grace, written once.
 */

/** What every engine-API target's per-service construct is built from. */
export interface EngineServiceProps<Network, SecretSource> {
  readonly environment: EnvironmentModel;
  readonly service: ServiceModel;
  /** Networks this service joins (already filtered to the ones its connections need). */
  readonly networks: readonly Network[];
  /** Secret name → what supplies its value (a sensitive variable, a `docker_secret`). */
  readonly secrets: ReadonlyMap<string, SecretSource>;
}

/** Where secrets appear inside containers (the seeds' `*_FILE` convention). */
export const SECRETS_DIR = "/run/secrets";

/**
 * Seconds a container gets between the stop signal and SIGKILL: Kubernetes' default termination
 * grace period, so a database shuts down cleanly on every release and every destroy.
 */
export const STOP_GRACE_SECONDS = 30;

/** The engine's health check of a service (`HealthConfig`), durations as Go duration strings. */
export interface EngineHealthcheck {
  readonly test: string[];
  readonly interval: string;
  readonly timeout: string;
  readonly retries: number;
  readonly startPeriod: string;
}

/**
 * The engine health check of a service, from its single (readiness) check: the engine runs it
 * inside the container (`Test` is passed verbatim by kreuzwerker/docker 3.6.2), so it is the
 * program the image has (see shared/health.ts).
 */
export function engineHealthcheck(svc: ServiceModel): EngineHealthcheck | undefined {
  if (!svc.health) return undefined;
  const t = singleCheckTimings(svc.health);
  return {
    test: inContainerTest(svc.name, svc.health),
    interval: formatDuration(t.intervalSeconds),
    timeout: formatDuration(t.timeoutSeconds),
    retries: t.retries,
    startPeriod: formatDuration(t.startPeriodSeconds),
  };
}

/** Seconds after start by which a healthy container has passed its check at the latest (the start period plus every retry). */
export function healthyWithinSeconds(health: HealthModel): number {
  const t = singleCheckTimings(health);
  return Math.ceil(t.startPeriodSeconds + t.intervalSeconds * (t.retries + 1));
}

/** `KEY=value` assignments of a service's environment, sorted by key (secrets as `<NAME>_FILE` under {@link SECRETS_DIR}). */
export function envAssignments(env: EnvironmentModel, svc: ServiceModel): string[] {
  const vars = serviceEnvironment(env, svc, (name) => `${SECRETS_DIR}/${name}`);
  return Object.keys(vars).sort().map((k) => `${k}=${vars[k]}`);
}

/** The engine's `user`: numeric uid:gid, so no image's /etc/passwd can map it to root. */
export function engineUser(sec: Pick<SecurityModel, "uid" | "gid">): string {
  return `${sec.uid}:${sec.gid}`;
}

/** Labels as the provider's `{ label, value }` list, sorted by key (a stable diff). */
export function labelList(labels: Readonly<Record<string, string>>): { label: string; value: string }[] {
  return Object.keys(labels).sort().map((label) => ({ label, value: labels[label] }));
}

/** The json-file log driver's rotation options of a service. */
export function logRotation(svc: Pick<ServiceModel, "logging">): Record<string, string> {
  return { "max-size": svc.logging.maxSize, "max-file": String(svc.logging.maxFile) };
}
