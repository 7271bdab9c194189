import type * as CronJob from "@cdktf/provider-kubernetes/lib/cron-job-v1";
import type * as Hpa from "@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2";
import type * as Ingress from "@cdktf/provider-kubernetes/lib/ingress-v1";
import type * as Job from "@cdktf/provider-kubernetes/lib/job-v1";
import type * as StatefulSet from "@cdktf/provider-kubernetes/lib/stateful-set-v1";

/*
 * Provider classes that many environments never use, loaded on first use. Each of the workload
 * modules is about 5 MB of generated JavaScript (job-v1 and cron-job-v1 alike): an application
 * without jobs, cron jobs or stateful services no longer parses them at start-up (about 150 ms of
 * a small synth). Deployment, Service and NetworkPolicy, which every environment has, stay static
 * imports.
 */

/* eslint-disable @typescript-eslint/no-require-imports */
let cronJob: typeof CronJob | undefined;
let job: typeof Job | undefined;
let statefulSet: typeof StatefulSet | undefined;
let hpa: typeof Hpa | undefined;
let ingress: typeof Ingress | undefined;

/** `kubernetes_cron_job_v1`. */
export const cronJobClass = (): typeof CronJob.CronJobV1 => (cronJob ??= require("@cdktf/provider-kubernetes/lib/cron-job-v1") as typeof CronJob).CronJobV1;
/** `kubernetes_job_v1`. */
export const jobClass = (): typeof Job.JobV1 => (job ??= require("@cdktf/provider-kubernetes/lib/job-v1") as typeof Job).JobV1;
/** `kubernetes_stateful_set_v1`. */
export const statefulSetClass = (): typeof StatefulSet.StatefulSetV1 => (statefulSet ??= require("@cdktf/provider-kubernetes/lib/stateful-set-v1") as typeof StatefulSet).StatefulSetV1;
/** `kubernetes_horizontal_pod_autoscaler_v2`. */
export const hpaClass = (): typeof Hpa.HorizontalPodAutoscalerV2 => (hpa ??= require("@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2") as typeof Hpa).HorizontalPodAutoscalerV2;
/** `kubernetes_ingress_v1`. */
export const ingressClass = (): typeof Ingress.IngressV1 => (ingress ??= require("@cdktf/provider-kubernetes/lib/ingress-v1") as typeof Ingress).IngressV1;
