/*
 * The labels of envkit's never-started seed containers, apart from docker-service.ts so that the
 * guardrail view (docker-inspect.ts) reads them without loading provider classes.
 */

/** Label that marks a service's seed containers (see DockerService.secretsSeed). */
export const SEED_ROLE_LABEL = "envkit.dev/role";
/** Value of {@link SEED_ROLE_LABEL} on a secrets seed. */
export const SEED_ROLE = "secrets-seed";
/** Value of {@link SEED_ROLE_LABEL} on a config-files seed. */
export const FILES_SEED_ROLE = "files-seed";
/** Value of {@link SEED_ROLE_LABEL} on an init step's container (docker-init-steps.ts). */
export const INIT_STEP_ROLE = "init-step";
/** Label of an init step's container: its position in `services.<svc>.init`, from 1. */
export const INIT_STEP_LABEL = "envkit.dev/init-step";
/**
 * Label of an init step's container: the hash of what replaces the containers it runs before
 * (docker-service.ts replacementHash). Labels are ForceNew, so the step is replaced, and runs
 * again, whenever those containers are replaced for a reason known at synth.
 */
export const RUNS_BEFORE_LABEL = "envkit.dev/runs-before";
