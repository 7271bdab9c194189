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
