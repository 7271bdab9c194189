/*
 * Container hardening vocabulary: the Linux capability names (linux/capability.h, through
 * CAP_CHECKPOINT_RESTORE in 5.9) and the seccomp profile forms envkit can express on both targets.
 */

/** Linux capabilities as Kubernetes spells them: without the `CAP_` prefix. */
export const LINUX_CAPABILITIES: readonly string[] = [
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
  "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
  "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
  "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
  "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
  "CHECKPOINT_RESTORE",
];

/** What `dropCapabilities` / `addCapabilities` accept: a capability name or `ALL`. */
export const CAPABILITY_NAMES: ReadonlySet<string> = new Set(["ALL", ...LINUX_CAPABILITIES]);

/** The seccomp profile forms, as shown in messages. */
export const SECCOMP_FORMS: readonly string[] = ["RuntimeDefault", "Unconfined", "Localhost/<profile>"];
