/**
 * The namespaced sysctls Kubernetes counts as safe (isolated per pod, allowed by Pod Security
 * "baseline" and "restricted"; kubernetes.io "Using sysctls in a Kubernetes Cluster": the set as
 * of 1.29). Docker applies the same keys to the container's own namespaces. Everything else
 * (kernel.*, vm.*, most net.*) reaches the node or needs the kubelet's --allowed-unsafe-sysctls.
 */
export const SAFE_SYSCTLS: readonly string[] = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.ping_group_range",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_syncookies",
];
