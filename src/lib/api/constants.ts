/** The metallb.io API group and the names lbctl shares with MetalLB (API-COMPAT.md). */
export const GROUP = 'metallb.io'
export const DEFAULT_NAMESPACE = 'metallb-system'
export const FIELD_MANAGER = 'lbctl'

export const V1BETA1 = `${GROUP}/v1beta1`
export const V1BETA2 = `${GROUP}/v1beta2`

/** lbctl's own status kind (BGP session state, which MetalLB leaves to FRR). */
export const LBCTL_GROUP = 'lbctl.io'
export const LBCTL_V1ALPHA1 = `${LBCTL_GROUP}/v1alpha1`

export const Annotations = {
  loadBalancerIPs: 'metallb.io/loadBalancerIPs',
  addressPool: 'metallb.io/address-pool',
  allowSharedIP: 'metallb.io/allow-shared-ip',
  ipAllocatedFromPool: 'metallb.io/ip-allocated-from-pool',
} as const

/** Deprecated spellings, still honoured (with a warning event). */
export const DeprecatedAnnotations = {
  loadBalancerIPs: 'metallb.universe.tf/loadBalancerIPs',
  addressPool: 'metallb.universe.tf/address-pool',
  allowSharedIP: 'metallb.universe.tf/allow-shared-ip',
  ipAllocatedFromPool: 'metallb.universe.tf/ip-allocated-from-pool',
} as const

export const Labels = {
  node: 'metallb.io/node',
  serviceName: 'metallb.io/service-name',
  serviceNamespace: 'metallb.io/service-namespace',
  excludeFromLB: 'node.kubernetes.io/exclude-from-external-load-balancers',
  managedBy: 'app.kubernetes.io/managed-by',
} as const

/** Kinds by apiVersion, for the seam's generic calls. */
export const Kinds = {
  IPAddressPool: {apiVersion: V1BETA1, kind: 'IPAddressPool', plural: 'ipaddresspools'},
  L2Advertisement: {apiVersion: V1BETA1, kind: 'L2Advertisement', plural: 'l2advertisements'},
  BGPAdvertisement: {apiVersion: V1BETA1, kind: 'BGPAdvertisement', plural: 'bgpadvertisements'},
  BGPPeer: {apiVersion: V1BETA2, kind: 'BGPPeer', plural: 'bgppeers'},
  Community: {apiVersion: V1BETA1, kind: 'Community', plural: 'communities'},
  BFDProfile: {apiVersion: V1BETA1, kind: 'BFDProfile', plural: 'bfdprofiles'},
  ServiceL2Status: {apiVersion: V1BETA1, kind: 'ServiceL2Status', plural: 'servicel2statuses'},
  ServiceBGPStatus: {apiVersion: V1BETA1, kind: 'ServiceBGPStatus', plural: 'servicebgpstatuses'},
  ConfigurationState: {apiVersion: V1BETA1, kind: 'ConfigurationState', plural: 'configurationstates'},
  BGPPeerSession: {apiVersion: LBCTL_V1ALPHA1, kind: 'BGPPeerSession', plural: 'bgppeersessions'},
  Service: {apiVersion: 'v1', kind: 'Service', plural: 'services'},
  Node: {apiVersion: 'v1', kind: 'Node', plural: 'nodes'},
  Namespace: {apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces'},
  ConfigMap: {apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps'},
} as const
/** Built-in kinds beyond Kinds' core ones that the daemons, install and the doctor read or write (one table). */
export const BuiltinKinds = {
  Pod: {apiVersion: 'v1', kind: 'Pod', plural: 'pods'},
  Secret: {apiVersion: 'v1', kind: 'Secret', plural: 'secrets'},
  ServiceAccount: {apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts'},
  Event: {apiVersion: 'v1', kind: 'Event', plural: 'events'},
  EndpointSlice: {apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices'},
  DaemonSet: {apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets'},
  Deployment: {apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments'},
  CRD: {apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions'},
  ValidatingWebhookConfiguration: {apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations'},
} as const

/** A kind of src/lib/kube/api.ts with its plural always given. */
export type KindRef = Required<import('../kube/api.js').KindRef>
