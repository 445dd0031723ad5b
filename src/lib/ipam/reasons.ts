// Every way an allocation can fail, as an enumerated reason (ARCHITECTURE.md rule 6): the controller counts them in a
// metric, puts the message in a Service event, and tests assert on `reason`, never on text.

/** Why two services may not share an address. */
export type SharingWhy =
  /** One side has no `allow-shared-ip` key. */
  | 'noSharingKey'
  /** Both have keys, and they differ. */
  | 'keyMismatch'
  /** Same key, but a protocol/port pair is used by both. */
  | 'portConflict'
  /** Same key, but for externalTrafficPolicy Local they must select the same pods (and Local cannot mix with Cluster). */
  | 'backendMismatch'

export type Failure =
  | {reason: 'bothIPFieldsSet'; loadBalancerIP: string; annotation: string}
  | {reason: 'invalidRequestedIP'; value: string; detail: string}
  | {reason: 'tooManyRequestedIPs'; ips: string[]}
  | {reason: 'familyMismatch'; detail: string}
  | {reason: 'requestedIPNotInAnyPool'; ip: string}
  | {reason: 'requestedIPNotInPool'; ip: string; pool: string; actualPool: string}
  | {reason: 'requestedIPsInDifferentPools'; ips: string[]; pools: string[]}
  | {reason: 'requestedIPInUse'; ip: string; by: string[]}
  | {reason: 'sharingRefused'; ip: string; why: SharingWhy; with: string[]; detail: string}
  | {reason: 'poolNotFound'; pool: string}
  | {reason: 'poolNotAllowed'; pool: string}
  | {reason: 'poolHasNoFamily'; pool: string; family: string}
  | {reason: 'poolExhausted'; pools: string[]; family: string}
  | {reason: 'noPoolMatches'; family: string}
  | {reason: 'noConfiguration'}

export type FailureReason = Failure['reason']

/** All reasons, for metrics that must expose every label value from the start. */
export const FAILURE_REASONS: readonly FailureReason[] = [
  'bothIPFieldsSet', 'invalidRequestedIP', 'tooManyRequestedIPs', 'familyMismatch', 'requestedIPNotInAnyPool',
  'requestedIPNotInPool', 'requestedIPsInDifferentPools', 'requestedIPInUse', 'sharingRefused', 'poolNotFound',
  'poolNotAllowed', 'poolHasNoFamily', 'poolExhausted', 'noPoolMatches', 'noConfiguration',
]

const list = (xs: string[]): string => xs.join(', ')

/** A sentence a person can act on, for events and logs. */
export function failureMessage(f: Failure): string {
  switch (f.reason) {
    case 'bothIPFieldsSet':
      return `spec.loadBalancerIP (${f.loadBalancerIP}) and ${f.annotation} are both set; set only the annotation`
    case 'invalidRequestedIP':
      return `requested address "${f.value}" is not valid: ${f.detail}`
    case 'tooManyRequestedIPs':
      return `requested addresses ${list(f.ips)}: at most one IPv4 and one IPv6 address may be requested`
    case 'familyMismatch':
      return f.detail
    case 'requestedIPNotInAnyPool':
      return `requested address ${f.ip} is not in any IPAddressPool`
    case 'requestedIPNotInPool':
      return `requested address ${f.ip} is in pool ${f.actualPool}, not in pool ${f.pool} named by the address-pool annotation`
    case 'requestedIPsInDifferentPools':
      return `requested addresses ${list(f.ips)} are in different pools (${list(f.pools)}); they must come from one pool`
    case 'requestedIPInUse':
      return `requested address ${f.ip} is in use by ${list(f.by)}, and sharing needs the same allow-shared-ip key on both`
    case 'sharingRefused':
      return `cannot share ${f.ip} with ${list(f.with)}: ${f.detail}`
    case 'poolNotFound':
      return `pool ${f.pool} named by the address-pool annotation does not exist`
    case 'poolNotAllowed':
      return `pool ${f.pool}'s serviceAllocation does not admit this service (namespace or labels)`
    case 'poolHasNoFamily':
      return `pool ${f.pool} has no ${f.family} addresses`
    case 'poolExhausted':
      return `no ${f.family} address left in ${f.pools.length === 1 ? `pool ${f.pools[0]}` : `pools ${list(f.pools)}`}`
    case 'noPoolMatches':
      return `no pool can serve this service (${f.family}): no autoAssign pool without serviceAllocation, and no serviceAllocation matches`
    case 'noConfiguration':
      return 'no valid IPAddressPool configuration has been loaded yet'
  }
}
