// Least-privilege RBAC, derived from what the daemons call (src/controller, the speaker contract in CONTRACTS.md).
// Cluster-wide rules only where the objects live in every namespace (Services, their EndpointSlices and Events, Nodes,
// Namespaces) or are cluster-scoped (TokenReview, SubjectAccessReview); everything else is a Role in the load
// balancer's namespace. No cluster-wide Secret read: the speaker reads Secrets (memberlist key, BGP passwords) only in
// its own namespace.
import type {V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule, V1Role, V1RoleBinding, V1ServiceAccount} from '@kubernetes/client-node'
import {GROUP, LBCTL_GROUP} from '../api/constants.js'
import {type Component, Names, objectLabels} from './names.js'

const READ = ['get', 'list', 'watch']
const rule = (apiGroups: string[], resources: string[], verbs: string[]): V1PolicyRule => ({apiGroups, resources, verbs})

/** The metallb.io configuration kinds the speaker reads (the controller reads only pools). */
const CONFIG_KINDS = ['ipaddresspools', 'l2advertisements', 'bgpadvertisements', 'bgppeers', 'communities', 'bfdprofiles']

export const RULES: Record<Component, {cluster: V1PolicyRule[]; namespaced: V1PolicyRule[]}> = {
  controller: {
    cluster: [
      // Watches every Service; writes the assignment into status.loadBalancer and the pool annotation.
      rule([''], ['services'], [...READ, 'update', 'patch']),
      rule([''], ['services/status'], ['update', 'patch']),
      // serviceAllocation.namespaceSelectors match namespace labels.
      rule([''], ['namespaces'], READ),
      // Events on Services (which live in every namespace): nodeAssigned-style reasons, AllocationFailed, …
      rule([''], ['events'], ['create', 'patch']),
    ],
    namespaced: [
      rule([GROUP], ['ipaddresspools'], READ),
      rule([GROUP], ['ipaddresspools/status'], ['get', 'update', 'patch']),
      rule([GROUP], ['configurationstates'], ['get', 'create']),
      rule([GROUP], ['configurationstates/status'], ['get', 'update', 'patch']),
      // Leader election when replicas > 1.
      rule(['coordination.k8s.io'], ['leases'], ['get', 'create', 'update']),
    ],
  },
  speaker: {
    cluster: [
      rule([''], ['services', 'nodes'], READ),
      // Local traffic policy and layer-2 election follow the ready endpoints.
      rule(['discovery.k8s.io'], ['endpointslices'], READ),
      rule([''], ['events'], ['create', 'patch']),
      // The diagnostics endpoint authenticates bearer tokens and authorizes them (CONTRACTS.md).
      rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
      rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
    ],
    namespaced: [
      rule([GROUP], CONFIG_KINDS, READ),
      // Memberlist key and BGP passwords: only in the load balancer's namespace.
      rule([''], ['secrets'], READ),
      // Memberlist finds the other speakers by their pod labels.
      rule([''], ['pods'], READ),
      rule([GROUP], ['servicel2statuses', 'servicebgpstatuses'], [...READ, 'create', 'update', 'patch', 'delete']),
      rule([GROUP], ['servicel2statuses/status', 'servicebgpstatuses/status'], ['get', 'update', 'patch']),
      rule([GROUP], ['configurationstates'], ['get', 'create']),
      rule([GROUP], ['configurationstates/status'], ['get', 'update', 'patch']),
      rule([LBCTL_GROUP], ['bgppeersessions'], [...READ, 'create', 'update', 'patch', 'delete']),
      rule([LBCTL_GROUP], ['bgppeersessions/status'], ['get', 'update', 'patch']),
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
