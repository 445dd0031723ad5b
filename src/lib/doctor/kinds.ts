// Kinds the doctor reads: src/lib/api's metallb.io, lbctl.io and built-in kinds.
import {BuiltinKinds, Kinds} from '../api/constants.js'

export const DoctorKinds = {...Kinds, ...BuiltinKinds} as const

/** The metallb.io kinds and the versions lbctl (and MetalLB ≥ 0.13) serve them in. */
export const EXPECTED_CRDS: ReadonlyArray<{plural: string; group: string; versions: string[]; lbctlOnly?: boolean}> = [
  {plural: 'ipaddresspools', group: 'metallb.io', versions: ['v1beta1']},
  {plural: 'l2advertisements', group: 'metallb.io', versions: ['v1beta1']},
  {plural: 'bgpadvertisements', group: 'metallb.io', versions: ['v1beta1']},
  {plural: 'bgppeers', group: 'metallb.io', versions: ['v1beta2']},
  {plural: 'communities', group: 'metallb.io', versions: ['v1beta1']},
  {plural: 'bfdprofiles', group: 'metallb.io', versions: ['v1beta1']},
  {plural: 'servicel2statuses', group: 'metallb.io', versions: ['v1beta1']},
  {plural: 'servicebgpstatuses', group: 'metallb.io', versions: ['v1beta1']},
  {plural: 'configurationstates', group: 'metallb.io', versions: ['v1beta1']},
  {plural: 'bgppeersessions', group: 'lbctl.io', versions: ['v1alpha1'], lbctlOnly: true},
]

/** Pod labels of the load balancer's components: lbctl's (CONTRACTS.md), MetalLB's plain manifests, MetalLB's Helm chart. */
export const COMPONENT_SELECTORS: ReadonlyArray<{impl: 'lbctl' | 'metallb'; component: 'controller' | 'speaker'; labels: Record<string, string>}> = [
  {impl: 'lbctl', component: 'speaker', labels: {'app.kubernetes.io/name': 'lbctl', 'app.kubernetes.io/component': 'speaker'}},
  {impl: 'lbctl', component: 'controller', labels: {'app.kubernetes.io/name': 'lbctl', 'app.kubernetes.io/component': 'controller'}},
  {impl: 'metallb', component: 'speaker', labels: {app: 'metallb', component: 'speaker'}},
  {impl: 'metallb', component: 'controller', labels: {app: 'metallb', component: 'controller'}},
  {impl: 'metallb', component: 'speaker', labels: {'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/component': 'speaker'}},
  {impl: 'metallb', component: 'controller', labels: {'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/component': 'controller'}},
]

export const DIAGNOSTICS_PORT = 7473
export const INSTALL_CONFIGMAP = 'lbctl-install'
