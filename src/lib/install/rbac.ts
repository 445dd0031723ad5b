// Least-privilege RBAC, derived from what the daemons call (src/controller, the speaker contract in CONTRACTS.md).
// Cluster-wide rules only where the objects live in every namespace (Services, their EndpointSlices and Events, Nodes,
// Namespaces) or are cluster-scoped (TokenReview, SubjectAccessReview); everything else is a Role in the load
// balancer's namespace. No cluster-wide Secret read: the speaker reads Secrets (memberlist key, BGP passwords) only in
// its own namespace.
import type {V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule, V1Role, V1RoleBinding, V1ServiceAccount} from '@kubernetes/client-node'
import {GROUP, LBCTL_GROUP} from '../api/constants.js'
import {type Component, Names, objectLabels} from './names.js'

// Informers list and watch; nothing reads these kinds one by one (test/integration/install/rbac.test.ts shows every
// verb below in use: removing any one of them makes a named case fail).
const WATCH = ['list', 'watch']
const rule = (apiGroups: string[], resources: string[], verbs: string[]): V1PolicyRule => ({apiGroups, resources, verbs})

/** The metallb.io configuration kinds the speaker reads (the controller reads only pools). */
const CONFIG_KINDS = ['ipaddresspools', 'l2advertisements', 'bgpadvertisements', 'bgppeers', 'communities', 'bfdprofiles']

export const RULES: Record<Component, {cluster: V1PolicyRule[]; namespaced: V1PolicyRule[]}> = {
  controller: {
    cluster: [
      // Watches every Service; writes the pool annotation and status.loadBalancer (merge patches carrying the
      // resourceVersion), reading the Service again after a conflict.
      rule([''], ['services'], ['get', ...WATCH, 'patch']),
      rule([''], ['services/status'], ['patch']),
      // serviceAllocation.namespaceSelectors match namespace labels.
      rule([''], ['namespaces'], WATCH),
      // Events on Services (which live in every namespace): created once, a repeat patches the count.
      rule([''], ['events'], ['create', 'patch']),
    ],
    namespaced: [
      rule([GROUP], ['ipaddresspools'], WATCH),
      rule([GROUP], ['ipaddresspools/status'], ['patch']),
      rule([GROUP], ['configurationstates'], ['get', 'create']),
      rule([GROUP], ['configurationstates/status'], ['patch']),
      // Leader election when replicas > 1 (the test runs the controller with it on).
      rule(['coordination.k8s.io'], ['leases'], ['get', 'create', 'update']),
    ],
  },
  speaker: {
    cluster: [
      rule([''], ['services', 'nodes'], WATCH),
      // Local traffic policy and layer-2 election follow the ready endpoints.
      rule(['discovery.k8s.io'], ['endpointslices'], WATCH),
      rule([''], ['events'], ['create', 'patch']),
      // The diagnostics endpoint authenticates bearer tokens and authorizes them (CONTRACTS.md).
      rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
      rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
    ],
    namespaced: [
      rule([GROUP], CONFIG_KINDS, WATCH),
      // BGP passwords, read by name (the BGPPeers name them), only in the load balancer's namespace; never listed. The
      // memberlist key is a mounted Secret volume (the kubelet reads it, not the speaker).
      rule([''], ['secrets'], ['get']),
      // Memberlist finds the other speakers by their pod labels.
      rule([''], ['pods'], WATCH),
      // Status objects: created, their labels patched, deleted; the status written through the subresource.
      rule([GROUP], ['servicel2statuses', 'servicebgpstatuses'], [...WATCH, 'create', 'patch', 'delete']),
      rule([GROUP], ['servicel2statuses/status', 'servicebgpstatuses/status'], ['patch']),
      rule([GROUP], ['configurationstates'], ['create']),
      rule([GROUP], ['configurationstates/status'], ['patch']),
      rule([LBCTL_GROUP], ['bgppeersessions'], [...WATCH, 'create', 'patch', 'delete']),
      rule([LBCTL_GROUP], ['bgppeersessions/status'], ['patch']),
    ],
  },
}

/** Cluster-wide names carry the namespace, so installs in two namespaces do not share (and fight over) one role. */
export const clusterRoleName = (c: Component, namespace: string): string => `lbctl-${namespace}-${c}`

export function serviceAccount(c: Component, namespace: string): V1ServiceAccount {
  return {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: Names[c], namespace, labels: objectLabels(c)}}
}

/** ClusterRole + binding and Role + binding for one component. */
export function rbacFor(c: Component, namespace: string): Array<V1ClusterRole | V1ClusterRoleBinding | V1Role | V1RoleBinding> {
  const labels = objectLabels(c)
  const subject = [{kind: 'ServiceAccount', name: Names[c], namespace}]
  const crName = clusterRoleName(c, namespace)
  return [
    {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: crName, labels}, rules: RULES[c].cluster},
    {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: {name: crName, labels},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: crName}, subjects: subject},
    {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: {name: Names[c], namespace, labels}, rules: RULES[c].namespaced},
    {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name: Names[c], namespace, labels},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: Names[c]}, subjects: subject},
  ]
}
