// The controller Deployment and the speaker DaemonSet, as typed objects.
import type {V1Container, V1DaemonSet, V1Deployment, V1EnvVar, V1Probe} from '@kubernetes/client-node'
import {type Component, MEMBER_SELECTOR, Names, objectLabels, podLabels, Ports} from './names.js'

export interface WorkloadOptions {
  namespace: string
  controllerImage: string
  speakerImage: string
  /** Controller replicas; leader election is on only when there is more than one. */
  controllerReplicas: number
  logLevel: string
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never'
}

const fieldEnv = (name: string, fieldPath: string): V1EnvVar => ({name, valueFrom: {fieldRef: {fieldPath}}})

const httpProbe = (path: string, port: number, periodSeconds: number, failureThreshold: number): V1Probe => ({
  httpGet: {path, port, scheme: 'HTTP'}, periodSeconds, failureThreshold, timeoutSeconds: 2,
})

const selector = (c: Component): {matchLabels: Record<string, string>} => {
  const l = podLabels(c)
  // The selector is immutable: name and component only, so a later label on the pods never breaks an upgrade.
  return {matchLabels: {'app.kubernetes.io/name': l['app.kubernetes.io/name'], 'app.kubernetes.io/component': l['app.kubernetes.io/component']}}
}

export function controllerDeployment(o: WorkloadOptions): V1Deployment {
  const leaderElect = o.controllerReplicas > 1
  const container: V1Container = {
    name: 'controller',
    image: o.controllerImage,
    imagePullPolicy: o.imagePullPolicy ?? 'IfNotPresent',
    args: [`--metrics-port=${Ports.metrics}`, `--health-port=${Ports.controllerHealth}`, `--leader-elect=${leaderElect}`, `--lease-name=${Names.leaderLease}`, `--log-level=${o.logLevel}`],
    env: [fieldEnv('POD_NAME', 'metadata.name'), fieldEnv('POD_NAMESPACE', 'metadata.namespace')],
    ports: [{name: 'metrics', containerPort: Ports.metrics, protocol: 'TCP'}, {name: 'health', containerPort: Ports.controllerHealth, protocol: 'TCP'}],
    livenessProbe: httpProbe('/healthz', Ports.controllerHealth, 10, 3),
    readinessProbe: httpProbe('/readyz', Ports.controllerHealth, 5, 3),
    // 10,000 services take ~105 MB (bin/controller.js); the limit leaves room for a full re-list.
    resources: {requests: {cpu: '50m', memory: '64Mi'}, limits: {memory: '256Mi'}},
    securityContext: {
      runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
      capabilities: {drop: ['ALL']}, seccompProfile: {type: 'RuntimeDefault'},
    },
  }
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: {name: Names.controller, namespace: o.namespace, labels: objectLabels('controller')},
    spec: {
      replicas: o.controllerReplicas,
      revisionHistoryLimit: 3,
      selector: selector('controller'),
      template: {
        metadata: {labels: podLabels('controller'), annotations: {'prometheus.io/scrape': 'true', 'prometheus.io/port': String(Ports.metrics)}},
        spec: {
          serviceAccountName: Names.controller,
          nodeSelector: {'kubernetes.io/os': 'linux'},
          terminationGracePeriodSeconds: 5,
          securityContext: {runAsNonRoot: true, fsGroup: 65532},
          containers: [container],
        },
      },
    },
  }
}

/**
 * The speaker's capabilities, each for one thing it does (everything else is dropped):
 * - NET_RAW: AF_PACKET sockets to answer ARP and NDP, and SO_BINDTODEVICE (native/src/packet.cc, udp.cc).
 * - NET_ADMIN + BPF: attaching the XDP program and creating its maps for ARP/NDP offload (native/src/xdp.cc). Since
 *   Linux 5.8 CAP_BPF replaces CAP_SYS_ADMIN for this, so SYS_ADMIN is not granted (older kernels: offload off).
 * - NET_BIND_SERVICE: listening on BGP's port 179.
 * It runs as uid 0 because the runtimes give added capabilities to root only (no ambient set for other users), on a
 * read-only root file system, without privilege escalation.
 */
export const SPEAKER_CAPABILITIES = ['NET_RAW', 'NET_ADMIN', 'BPF', 'NET_BIND_SERVICE'] as const

export function speakerDaemonSet(o: WorkloadOptions): V1DaemonSet {
  const container: V1Container = {
    name: 'speaker',
    image: o.speakerImage,
    imagePullPolicy: o.imagePullPolicy ?? 'IfNotPresent',
    args: [
      `--metrics-port=${Ports.metrics}`, `--health-port=${Ports.speakerHealth}`, `--memberlist-port=${Ports.memberlist}`,
      `--diagnostics-port=${Ports.diagnostics}`, `--member-selector=${MEMBER_SELECTOR}`, `--log-level=${o.logLevel}`,
    ],
    env: [
      fieldEnv('NODE_NAME', 'spec.nodeName'),
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
      fieldEnv('POD_IP', 'status.podIP'),
      fieldEnv('HOST_IP', 'status.hostIP'),
      // The speaker gossips on its pod address (hostNetwork: the node's); it refuses to start without one.
      fieldEnv('METALLB_ML_BIND_ADDR', 'status.podIP'),
      {name: 'METALLB_ML_SECRET_KEY_PATH', value: Names.memberlistMountPath},
    ],
    ports: [
      {name: 'metrics', containerPort: Ports.metrics, protocol: 'TCP'},
      {name: 'diagnostics', containerPort: Ports.diagnostics, protocol: 'TCP'},
      {name: 'health', containerPort: Ports.speakerHealth, protocol: 'TCP'},
      {name: 'memberlist-tcp', containerPort: Ports.memberlist, protocol: 'TCP'},
      {name: 'memberlist-udp', containerPort: Ports.memberlist, protocol: 'UDP'},
    ],
    livenessProbe: httpProbe('/healthz', Ports.speakerHealth, 10, 3),
    readinessProbe: httpProbe('/readyz', Ports.speakerHealth, 5, 3),
    resources: {requests: {cpu: '50m', memory: '64Mi'}, limits: {memory: '256Mi'}},
    securityContext: {
      runAsUser: 0, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
      capabilities: {drop: ['ALL'], add: [...SPEAKER_CAPABILITIES]},
    },
    volumeMounts: [{name: 'memberlist', mountPath: Names.memberlistMountPath, readOnly: true}],
  }
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: {name: Names.speaker, namespace: o.namespace, labels: objectLabels('speaker')},
    spec: {
      selector: selector('speaker'),
      // One node at a time, so announcements continue from the others during an upgrade.
      updateStrategy: {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: 1}},
      revisionHistoryLimit: 3,
      template: {
        metadata: {labels: podLabels('speaker'), annotations: {'prometheus.io/scrape': 'true', 'prometheus.io/port': String(Ports.metrics)}},
        spec: {
          serviceAccountName: Names.speaker,
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          nodeSelector: {'kubernetes.io/os': 'linux'},
          // Quick failover: a stopped speaker is replaced by another node's within seconds (as MetalLB's 2 s).
          terminationGracePeriodSeconds: 2,
          tolerations: [
            {key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule'},
            {key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule'},
          ],
          containers: [container],
          volumes: [{name: 'memberlist', secret: {secretName: Names.memberlistSecret, defaultMode: 0o420}}],
        },
      },
    },
  }
}
