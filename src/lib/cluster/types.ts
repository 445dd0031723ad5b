/** What the API server shows about a cluster's setup; everything detection reads, nothing else. */

export interface NodeLike {
  metadata: {name: string; labels?: Record<string, string>; annotations?: Record<string, string>}
  status?: {nodeInfo?: {kubeletVersion?: string; kubeProxyVersion?: string; osImage?: string}}
}

export interface ConfigMapLike {
  apiVersion?: string
  kind?: string
  metadata: {name: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string>; labels?: Record<string, string>}
  data?: Record<string, string>
}

interface ContainerLike {
  name: string
  command?: string[]
  args?: string[]
  volumeMounts?: Array<{name: string; mountPath: string; subPath?: string}>
}

export interface DaemonSetLike {
  apiVersion?: string
  kind?: string
  metadata: {name: string; namespace?: string; generation?: number; resourceVersion?: string}
  spec?: {
    updateStrategy?: {type?: string}
    template?: {
      metadata?: {annotations?: Record<string, string>}
      spec?: {containers?: ContainerLike[]; volumes?: Array<{name: string; configMap?: {name: string}}>}
    }
  }
  status?: {
    observedGeneration?: number
    desiredNumberScheduled?: number
    updatedNumberScheduled?: number
    numberAvailable?: number
    numberReady?: number
  }
}

export interface ClusterObservation {
  nodes: NodeLike[]
  /** kube-system/kube-proxy, when it exists. */
  kubeProxyDaemonSet?: DaemonSetLike
  /** The ConfigMap the DaemonSet reads its --config from (kube-system/kube-proxy for kubeadm). */
  kubeProxyConfigMap?: ConfigMapLike
  /** kube-system/kubeadm-config: kubeadm made this cluster. */
  kubeadmConfig?: ConfigMapLike
  /** kube-system/cilium-config: its kube-proxy-replacement key says whether Cilium does kube-proxy's job. */
  ciliumConfig?: ConfigMapLike
}

export type Distribution = 'kubeadm' | 'k3s' | 'rke2' | 'microk8s' | 'charmed-kubernetes' | 'unknown'

/**
 * How kube-proxy runs, which decides how lbctl can change it:
 * daemonset (kubeadm and most installers: a ConfigMap lbctl edits), embedded (inside the k3s process), static-pod
 * (RKE2, from rke2's config.yaml), kubelite (MicroK8s), snap (Charmed Kubernetes, configured through Juju),
 * none (disabled, or a CNI such as Cilium replaces it), not-found (none of the above is visible).
 */
export type ProxyRunsAs = 'daemonset' | 'embedded' | 'static-pod' | 'kubelite' | 'snap' | 'none' | 'not-found'

export interface ProxyState {
  /** The mode as configured ('' = the default) — undefined when the API does not show it. */
  mode?: string
  /** What kube-proxy runs: '' means iptables on Linux. */
  effectiveMode?: string
  strictARP?: boolean
  /** Where the values come from, for people: "ConfigMap kube-system/kube-proxy, key config.conf". */
  source: string
  /** Nodes disagree (k3s/RKE2 set kube-proxy flags per node). */
  perNode?: Array<{node: string; mode: string; strictARP: boolean}>
}

export interface NodeRole {
  name: string
  /** server/agent for k3s and RKE2; control-plane/worker elsewhere. */
  role: 'server' | 'agent' | 'control-plane' | 'worker'
  kubeletVersion?: string
  /** k3s/RKE2: the node's --kube-proxy-arg values, from its node-args annotation. */
  kubeProxyArgs?: string[]
}

export interface Detection {
  distribution: Distribution
  /** Why lbctl believes so: one line per clue. */
  evidence: string[]
  kubeProxy: {runs: ProxyRunsAs; description: string; replacedBy?: string}
  current?: ProxyState
  nodes: NodeRole[]
  /** The kube-proxy DaemonSet (kubeadm style). */
  daemonSetRef?: {namespace: string; name: string}
  /** Where the kubeadm-style configuration lives. */
  configRef?: {namespace: string; name: string; key: string}
  /** The DaemonSet configures kube-proxy with command-line flags (no --config): the container that holds them. */
  proxyFlags?: {container: string}
  /** Charmed Kubernetes: the Juju applications that run kube-proxy (from the nodes' juju-application labels). */
  jujuApps?: string[]
  /** Set when the configuration exists but cannot be used (missing key, unparsable, wrong kind). */
  configProblem?: {code: string; message: string}
  warnings: string[]
}

/** What to do by hand where the setting lives on the machines (k3s, RKE2, MicroK8s, juju not installed). */
export interface Instruction {
  /** Which nodes (or where) to run this: node names, or e.g. "a machine with the juju CLI". */
  where: string[]
  role?: string
  /** The file to change and the exact lines it must contain. */
  file?: string
  content?: string
  commands: string[]
}

export interface FieldChange {
  /** What holds the field: "ConfigMap kube-system/kube-proxy config.conf", "juju application kubernetes-worker",
   * "DaemonSet kube-system/kube-proxy container kube-proxy". */
  target: string
  field: string
  from?: string | boolean
  to: string | boolean
}

export type PrepareAction =
  /** Already as wanted: nothing was written. */
  | 'unchanged'
  | 'changed'
  /** --dry-run: this is what would change. */
  | 'would-change'
  /** The setting lives on the machines, or the tool to change it is missing: `instructions` say what to run. */
  | 'manual'
  /** No kube-proxy runs (a CNI replaces it): nothing to prepare. */
  | 'not-applicable'
  /** --check: state reported, nothing planned. */
  | 'checked'

export interface PrepareResult {
  distribution: Distribution
  evidence: string[]
  kubeProxy: Detection['kubeProxy']
  current?: ProxyState
  wanted: {mode: 'ipvs'; strictARP: boolean | 'unchanged'}
  /** kube-proxy is as wanted; 'unknown' when the API cannot show it (MicroK8s, Juju without its CLI). */
  ready: boolean | 'unknown'
  /** IPVS without strict ARP: every node answers ARP for every service address (the doctor's error case). */
  arpHazard: boolean
  action: PrepareAction
  dryRun: boolean
  changes: FieldChange[]
  /** The exact change, as a unified diff. */
  diff?: string
  restart?: {daemonSet: string; restartedAt: string; updateStrategy?: string; desired?: number; updated?: number; available?: number}
  /** Re-read after writing and found as wanted. */
  verified?: boolean
  juju?: {model?: string; apps: Array<{app: string; current: string; wanted: string; changed: boolean}>; commands: string[]}
  instructions?: Instruction[]
  warnings: string[]
}
