// The names, labels and ports install gives the load balancer's objects (CONTRACTS.md "Labels, names, ports").
import {DEFAULT_NAMESPACE} from '../api/constants.js'

export {DEFAULT_NAMESPACE}

export type Component = 'controller' | 'speaker'
export type InstallMode = 'l2' | 'bgp'
export const INSTALL_MODES: readonly InstallMode[] = ['l2', 'bgp']

export const PART_OF = {'app.kubernetes.io/part-of': 'lbctl'} as const

/** The pod labels of a component; the speaker's memberlist selector and the Deployment's selector use them. */
export const podLabels = (c: Component): Record<string, string> => ({
  'app.kubernetes.io/name': 'lbctl',
  'app.kubernetes.io/component': c,
  'app.kubernetes.io/part-of': 'lbctl',
})

/** Labels of every object install makes: how uninstall finds them again. */
export const objectLabels = (c?: Component): Record<string, string> => ({
  ...PART_OF,
  'app.kubernetes.io/managed-by': 'lbctl',
  ...(c ? {'app.kubernetes.io/component': c} : {}),
})

export const Names = {
  controller: 'lbctl-controller',
  speaker: 'lbctl-speaker',
  memberlistSecret: 'memberlist',
  memberlistKey: 'secretkey',
  memberlistMountPath: '/etc/ml_secret_key',
  installRecord: 'lbctl-install',
  leaderLease: 'lbctl-controller',
} as const

export const MEMBER_SELECTOR = 'app.kubernetes.io/name=lbctl,app.kubernetes.io/component=speaker'

export const Ports = {
  metrics: 7472,
  diagnostics: 7473,
  speakerHealth: 7474,
  /** The controller's /healthz and /readyz (no host network, so no clash with the speaker's diagnostics port). */
  controllerHealth: 7473,
  memberlist: 7946,
  bgp: 179,
} as const

/** Where images are pulled from unless --image-registry says otherwise. */
export const DEFAULT_IMAGE_REGISTRY = 'ghcr.io/lbctl'

export const imageFor = (registry: string, c: Component, version: string): string =>
  `${registry.replace(/\/+$/, '')}/lbctl-${c}:${version}`
