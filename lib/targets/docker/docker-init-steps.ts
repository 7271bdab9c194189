import { Container, ContainerConfig } from "@cdktf/provider-docker/lib/container";
import { Image } from "@cdktf/provider-docker/lib/image";
import { Construct } from "constructs";
import type { TerraformResource } from "../../facade/cdktf";
import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { formatImageRef } from "../../model/image-ref";
import { scopedName } from "../../model/names";
import { INIT_STEP_LABEL, INIT_STEP_ROLE, RUNS_BEFORE_LABEL, SEED_ROLE_LABEL } from "./seed-labels";

/*
 * A service's init steps on one Docker host. Kubernetes runs init containers before every start
 * of a pod; a Docker engine has nothing that runs before a container's start, so each step is a
 * container that apply runs to completion before the set's containers are created — the
 * mechanism of a `kind: job` (attach, postcondition on exit_code) — and that is replaced together
 * with them, so it runs again whenever they are replaced. See README "Init steps".
 */

/** What the steps of one container set are built from (docker-service.ts). */
export interface InitStepsProps {
  readonly env: EnvironmentModel;
  /** The service with the set's release (its `image`). */
  readonly svc: ServiceModel;
  /** `[svc]`, or `[svc, set]` for a set of a blue-green or canary service. */
  readonly setName: readonly string[];
  /** Construct-id prefix of the set (`""`, `blue-`, …). */
  readonly tag: string;
  /** The set's `docker_image` (a step without `image` runs the set's release). */
  readonly image: Image;
  /** What the set's containers share and the steps take as they are: hardening, resources, env, logs, mounts. */
  readonly shared: Partial<ContainerConfig>;
  /** The set's container labels (app, env, service, version, the user's). */
  readonly labels: readonly { label: string; value: string }[];
  /** Networks a step joins, without aliases (see docker-service.ts): empty means network_mode none. */
  readonly networks: readonly string[];
  /** Hash of what replaces the set's containers (docker-service.ts replacementHash). */
  readonly hash: string;
  /** The set's containers are created before the old ones are destroyed: the steps' names carry the hash. */
  readonly surge: boolean;
  /** The set's seeds: the steps read the files they write, and are replaced with them. */
  readonly seeds: readonly Container[];
}

/** `type.name`: what `replace_triggered_by` takes (cdktf 0.21 renders an object there wrongly, hashicorp/terraform-cdk#3196). */
const address = (r: TerraformResource): string => `${r.terraformResourceType}.${r.friendlyUniqueId}`;

/** The name of a set's step container `n` (from 1): `<app>-<env>-<svc>[-<set>]-init[-<hash>]-<n>`. */
export function initStepName(p: Pick<InitStepsProps, "env" | "setName" | "hash" | "surge">, n: number): string {
  return scopedName(p.env.app, p.env.name, ...p.setName, "init", ...(p.surge ? [p.hash] : []), String(n));
}

/**
 * The step containers of one container set, in order: each runs to completion (attach; the apply
 * fails on a non-zero exit) after the previous one, and is replaced with it. The set's containers
 * must `depends_on` them and be `replace_triggered_by` their ids (docker-service.ts), and
 * DockerEnvironment adds the service's start order and network triggers to them as to the set's
 * containers.
 */
export function initStepContainers(scope: Construct, p: InitStepsProps): Container[] {
  const setRef = formatImageRef(p.svc.image);
  const images = new Map<string, Image>([[setRef, p.image]]);
  const steps: Container[] = [];
  p.svc.init.forEach((step, k) => {
    const n = k + 1;
    const ref = step.image ? formatImageRef(step.image) : setRef;
    let image = images.get(ref);
    if (!image) {
      // A step's own image, pulled once per set like the set's (kept locally for a rollback offline).
      image = new Image(scope, `${p.tag}init-image-${images.size}`, { name: ref, keepLocally: true });
      images.set(ref, image);
    }
    const previous = steps[steps.length - 1];
    const before: TerraformResource[] = [...p.seeds, ...(previous ? [previous] : [])];
    const name = initStepName(p, n);
    steps.push(
      new Container(scope, `${p.tag}init-${n}`, {
        ...p.shared,
        name,
        image: image.imageId,
        // Kubernetes' `command`: it replaces the image's entrypoint, and the image's CMD is not
        // appended (moby v20.10.24 daemon/commit.go merge: Cmd is taken from the image only when
        // no Entrypoint is given).
        entrypoint: [...step.command],
        labels: [
          ...p.labels,
          { label: SEED_ROLE_LABEL, value: INIT_STEP_ROLE },
          { label: INIT_STEP_LABEL, value: String(n) },
          { label: RUNS_BEFORE_LABEL, value: p.hash },
        ],
        // Only the networks the service reaches others on, and no alias: while a step runs,
        // nothing may resolve the service's name to it.
        networksAdvanced: p.networks.length ? p.networks.map((name) => ({ name })) : undefined,
        networkMode: p.networks.length ? undefined : "none",
        // As a job: apply waits until it stopped (ContainerWait "not-running", kreuzwerker/docker
        // 3.6.2 resource_docker_container_funcs.go:583-630) and reads exit_code (funcs:690-692);
        // the postcondition fails the apply on a non-zero exit, so nothing after it is created.
        attach: true,
        // A restart would run it again behind apply's back; must_run false keeps the exited
        // container (and its logs) instead of deleting it on the next refresh (funcs:845-848).
        restart: "no",
        mustRun: false,
        dependsOn: before.length ? before : undefined,
        lifecycle: {
          // Replaced, and run again, with what it read or ran after; a step of its own image
          // also with the set's image (a new image id replaces the set's containers).
          replaceTriggeredBy: [...before.map((r) => `${address(r)}.id`), ...(image === p.image ? [] : [`${address(p.image)}.image_id`])],
          ...(p.surge ? { createBeforeDestroy: true } : {}),
          postcondition: [
            {
              condition: "${self.exit_code == 0}",
              errorMessage: `init step ${n} of "${p.svc.name}" exited with a non-zero code, so "${p.svc.name}" was not started; read its output with docker logs ${name}, fix it and apply again (terraform apply -replace runs it again)`,
            },
          ],
        },
      }),
    );
  });
  return steps;
}
