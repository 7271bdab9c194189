/*
 * Product bounds on sizes and counts. Providers and clusters accept far larger numbers (Kubernetes
 * replicas are int32) and then fail, or grind, at apply time; a value beyond these bounds is a typo
 * or a unit mistake, so validate rejects it with the bound in the message.
 */

/** Replicas of one service on any target (Kubernetes accepts int32; nobody means 10^9 pods). */
export const MAX_REPLICAS = 1000;

/** Replicas of one service on Docker: each replica is a container on the one host. */
export const MAX_DOCKER_REPLICAS = 20;

/** A bound on a CPU or memory quantity, and what it bounds (for the message). */
export interface QuantityBound {
  /** Largest accepted value, in millicores or bytes. */
  readonly max: number;
  /** What the value sizes, e.g. "a container" (the message says "the maximum for a container"). */
  readonly what: string;
}

const PI = 1024 ** 5;

/** CPU of one container (request or limit) and of LimitRange defaults: 1024 cores. */
export const CONTAINER_CPU: QuantityBound = { max: 1024 * 1000, what: "a container" };
/** CPU of a namespace quota: 1,048,576 cores. */
export const QUOTA_CPU: QuantityBound = { max: 1024 * 1024 * 1000, what: "a quota" };
/** Memory of one container (request or limit) and of LimitRange defaults: 1Pi. */
export const CONTAINER_MEMORY: QuantityBound = { max: PI, what: "a container" };
/** Size of one volume: 1Pi. */
export const VOLUME_SIZE: QuantityBound = { max: PI, what: "a volume" };
/**
 * Memory and storage of a namespace quota: 4Pi. Bytes stay below 2^53, so every accepted value is
 * an exact JavaScript integer and renders without exponent notation.
 */
export const QUOTA_MEMORY: QuantityBound = { max: 4 * PI, what: "a quota" };

/** Pods and persistent volume claims of a namespace quota. */
export const MAX_QUOTA_COUNT = 100_000;
