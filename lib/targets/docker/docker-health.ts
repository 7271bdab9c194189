import type { ContainerConfig } from "@cdktf/provider-docker/lib/container";
import { ServiceModel } from "../../model/environment";
import { engineHealthcheck, healthyWithinSeconds } from "../shared/container-spec";

/** Seconds `wait_timeout` allows beyond the check's own worst case (image start, engine load). */
const WAIT_SLACK_SECONDS = 30;

/** The health settings of a service's `docker_container`s. */
export interface DockerHealth {
  /** The engine's health check; absent when the service declares none. */
  readonly healthcheck?: ContainerConfig["healthcheck"];
  /** Apply waits for healthy (so dependants start after it), only when there is a check. */
  readonly wait: boolean;
  /** Seconds apply waits: the start period plus every retry, plus slack. */
  readonly waitTimeout?: number;
}

/**
 * The Docker health check of a service, from its readiness check (Docker has one check: see
 * `singleCheck`): the engine runs it inside the container, `Test` passed verbatim by the
 * provider (kreuzwerker/docker 3.6.2 resource_docker_container_funcs.go:134-159).
 */
export function dockerHealth(svc: ServiceModel): DockerHealth {
  const healthcheck = engineHealthcheck(svc);
  if (!healthcheck || !svc.health) return { wait: false };
  return { healthcheck, wait: true, waitTimeout: healthyWithinSeconds(svc.health) + WAIT_SLACK_SECONDS };
}
