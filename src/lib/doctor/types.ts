/** What `lbctl doctor` reports. The JSON form is described by schemas/doctor.schema.json; change both together. */

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip'

/**
 * One finding. `id` names what is checked and is stable (scripts match on it); the same id can apply to several
 * subjects (a pool, a service, a node). `fix` is a command to run as printed (no placeholders), or absent.
 */
export interface Check {
  id: CheckId
  title: string
  status: CheckStatus
  /** What was found, in words. */
  message: string
  /** Object names, event text, the NOTIFICATION received, the MACs seen. */
  evidence: string[]
  fix?: string
  /** What the check is about, e.g. `IPAddressPool metallb-system/default` or `Service web/shop`. */
  subject?: string
}

/** Stable check ids, one place. */
export const CHECK_IDS = [
  'access.read',
  'crds.installed',
  'crds.lbctl',
  'kube-proxy.strict-arp',
  'components.controller',
  'speakers.running',
  'components.version',
  'components.configuration',
  'pools.overlap',
  'advertisement.pool-selected',
  'advertisement.nodes',
  'advertisement.interfaces',
  'bgp.sessions',
  'nodes.excluded',
  'leftovers.webhook',
  'leftovers.legacy-config',
  'service.found',
  'service.type',
  'service.class',
  'allocation.requested-address',
  'allocation.pool-exists',
  'allocation.pool-exhausted',
  'allocation.assigned',
  'endpoints.ready',
  'endpoints.local-on-announcer',
  'announcement.node',
  'wire.single-mac',
  'wire.announcer-mac',
] as const
export type CheckId = (typeof CHECK_IDS)[number]

export const STAGES = ['class', 'allocation', 'advertisement', 'endpoints', 'announcement', 'wire'] as const
export type Stage = (typeof STAGES)[number]

export interface StageResult {
  stage: Stage
  status: CheckStatus
  checks: Check[]
}

/** The staged verdict for one service: it stops at the first broken stage and names it. */
export interface ServiceVerdict {
  namespace: string
  name: string
  addresses: string[]
  /** The first stage that failed, or undefined when every stage passed (or was skipped). */
  brokenAt?: Stage
  stages: StageResult[]
}

export interface DoctorReport {
  /** Schema version of this document. */
  version: 1
  cluster: {server: string; context: string; namespace: string}
  /** lbctl (its own components), metallb (upstream MetalLB), or none found. */
  implementation: 'lbctl' | 'metallb' | 'unknown'
  summary: {pass: number; fail: number; warn: number; skip: number}
  ok: boolean
  checks: Check[]
  services: ServiceVerdict[]
}

export const check = (id: CheckId, title: string, status: CheckStatus, message: string, more: {evidence?: string[]; fix?: string; subject?: string} = {}): Check => ({
  id, title, status, message, evidence: more.evidence ?? [], ...(more.fix ? {fix: more.fix} : {}), ...(more.subject ? {subject: more.subject} : {}),
})
