/** The metallb.io kinds (API-COMPAT.md) as TypeScript types. Field names are MetalLB's, unchanged. */

export interface ObjectMeta {
  name: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  finalizers?: string[]
  ownerReferences?: Array<{apiVersion: string; kind: string; name: string; uid: string; controller?: boolean}>
}

export interface KubeObject<Spec = unknown, Status = unknown> {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  spec?: Spec
  status?: Status
}

export interface LabelSelectorRequirement {
  key: string
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'
  values?: string[]
}
export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: LabelSelectorRequirement[]
}

export interface ServiceAllocation {
  priority?: number
  namespaces?: string[]
  namespaceSelectors?: LabelSelector[]
  serviceSelectors?: LabelSelector[]
}

export interface IPAddressPoolSpec {
  addresses: string[]
  autoAssign?: boolean
  avoidBuggyIPs?: boolean
  serviceAllocation?: ServiceAllocation
}
export interface IPAddressPoolStatus {
  assignedIPv4?: number
  assignedIPv6?: number
  availableIPv4?: number
  availableIPv6?: number
}
export type IPAddressPool = KubeObject<IPAddressPoolSpec, IPAddressPoolStatus>

export interface L2AdvertisementSpec {
  ipAddressPools?: string[]
  ipAddressPoolSelectors?: LabelSelector[]
  nodeSelectors?: LabelSelector[]
  interfaces?: string[]
  serviceSelectors?: LabelSelector[]
  preferredNodeSelectors?: Array<{weight: number; preference: LabelSelector}>
}
export type L2Advertisement = KubeObject<L2AdvertisementSpec>

export interface BGPAdvertisementSpec {
  aggregationLength?: number
  aggregationLengthV6?: number
  localPref?: number
  communities?: string[]
  ipAddressPools?: string[]
  ipAddressPoolSelectors?: LabelSelector[]
  nodeSelectors?: LabelSelector[]
  peers?: string[]
  serviceSelectors?: LabelSelector[]
}
export type BGPAdvertisement = KubeObject<BGPAdvertisementSpec>

export interface BGPPeerSpec {
  myASN: number
  peerASN?: number
  dynamicASN?: 'internal' | 'external'
  localASN?: number
  peerAddress?: string
  interface?: string
  sourceAddress?: string
  peerPort?: number
  holdTime?: string
  keepaliveTime?: string
  connectTime?: string
  routerID?: string
  nodeSelectors?: LabelSelector[]
  password?: string
  passwordSecret?: {name: string; namespace?: string}
  bfdProfile?: string
  enableGracefulRestart?: boolean
  ebgpMultiHop?: boolean
  vrf?: string
  disableMP?: boolean
  dualStackAddressFamily?: boolean
}
export type BGPPeer = KubeObject<BGPPeerSpec>

export type Community = KubeObject<{communities?: Array<{name: string; value: string}>}>

export interface BFDProfileSpec {
  receiveInterval?: number
  transmitInterval?: number
  detectMultiplier?: number
  echoInterval?: number
  echoMode?: boolean
  passiveMode?: boolean
  minimumTtl?: number
}
export type BFDProfile = KubeObject<BFDProfileSpec>

export type ServiceL2Status = KubeObject<
  undefined,
  {node?: string; serviceName?: string; serviceNamespace?: string; interfaces?: Array<{name: string}>}
>
export type ServiceBGPStatus = KubeObject<
  undefined,
  {node?: string; serviceName?: string; serviceNamespace?: string; peers?: string[]}
>

export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastTransitionTime?: string
  observedGeneration?: number
}
export type ConfigurationState = KubeObject<
  undefined,
  {result?: 'Valid' | 'Invalid' | 'Unknown'; errorSummary?: string; conditions?: Condition[]}
>

/** lbctl's own (kind BGPPeerSession): per node and peer, the BGP session as the native speaker sees it. */
export interface BGPSessionStateStatus {
  node?: string
  peer?: string
  peerAddress?: string
  state?: 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established'
  establishedSince?: string
  lastError?: {time?: string; code?: number; subcode?: number; message?: string; direction?: 'sent' | 'received' | 'local'}
  prefixesAdvertised?: number
  bfdState?: 'AdminDown' | 'Down' | 'Init' | 'Up' | 'Disabled'
}
export type BGPPeerSession = KubeObject<undefined, BGPSessionStateStatus>

/** The parts of core/v1 Service lbctl reads. */
export type Service = KubeObject<
  {
    type?: string
    loadBalancerIP?: string
    loadBalancerClass?: string
    ipFamilies?: string[]
    ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack'
    externalTrafficPolicy?: 'Cluster' | 'Local'
    selector?: Record<string, string>
    ports?: Array<{name?: string; port: number; protocol?: string; targetPort?: number | string; nodePort?: number}>
    clusterIP?: string
  },
  {loadBalancer?: {ingress?: Array<{ip?: string; hostname?: string; ipMode?: string}>}}
>

export type NodeObject = KubeObject<
  {unschedulable?: boolean},
  {
    addresses?: Array<{type: string; address: string}>
    conditions?: Array<{type: string; status: string}>
    nodeInfo?: {kubeletVersion?: string; kubeProxyVersion?: string; osImage?: string; containerRuntimeVersion?: string}
  }
>
