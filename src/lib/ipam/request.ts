// What a Service asks of the allocator, read from its spec and annotations (API-COMPAT.md "Service annotations").
import {Annotations, DeprecatedAnnotations} from '../api/constants.js'
import type {Service} from '../api/types.js'
import {NetParseError, parseIP, type Family, type IP} from '../net/index.js'
import type {Failure} from './reasons.js'

export type FamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack'

export interface ServiceRequest {
  /** `namespace/name`. */
  key: string
  namespace: string
  labels: Record<string, string>
  /** Labels of the service's namespace, for serviceAllocation.namespaceSelectors. */
  namespaceLabels: Record<string, string>
  /** Requested addresses (spec.loadBalancerIP or the loadBalancerIPs annotation), at most one per family. */
  requested: IP[]
  /** The address-pool annotation. */
  pool?: string
  /** allow-shared-ip; '' when absent. */
  sharingKey: string
  /** For externalTrafficPolicy Local, the pod selector (services sharing an IP must select the same pods); else ''. */
  backendKey: string
  /** `PROTOCOL/port` pairs. */
  ports: string[]
  /** Families wanted, in preference order; two means dual stack. */
  families: Family[]
  policy: FamilyPolicy
  /** Deprecated `metallb.universe.tf/*` annotations present (honoured, with a warning event). */
  deprecated: string[]
  /** Set when the request cannot be served as written, whatever the pools. */
  invalid?: Failure
}

/** Why the controller does not handle a service at all. */
export type NotServed = 'notLoadBalancer' | 'otherClass'

/**
 * Whether the controller handles the service: type LoadBalancer, and with no `spec.loadBalancerClass` unless a class is
 * configured, in which case only that class (API-COMPAT.md "Allocation order").
 */
export function servedBy(svc: Service, lbClass?: string): true | NotServed {
  if (svc.spec?.type !== 'LoadBalancer') return 'notLoadBalancer'
  const cls = svc.spec?.loadBalancerClass || undefined
  if (lbClass ? cls !== lbClass : cls !== undefined) return 'otherClass'
  return true
}

export const serviceKey = (svc: {metadata: {namespace?: string; name: string}}): string =>
  `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`

type AnnotationName = keyof typeof Annotations

/** The annotation's value (the metallb.io spelling wins over the deprecated one), and whether the deprecated one is set. */
function annotation(a: Record<string, string>, which: AnnotationName, deprecated: string[]): string | undefined {
  const old = DeprecatedAnnotations[which]
  if (a[old] !== undefined) deprecated.push(old)
  return a[Annotations[which]] ?? a[old]
}

const familyOf = (s: string): Family | undefined => (s === 'IPv4' ? 4 : s === 'IPv6' ? 6 : undefined)
export const familyName = (f: Family): string => `IPv${f}`

/** Read a Service into a request. Pure: the namespace's labels are passed in. */
export function parseService(svc: Service, namespaceLabels: Record<string, string> = {}): ServiceRequest {
  const spec = svc.spec ?? {}
  const ann = svc.metadata.annotations ?? {}
  const deprecated: string[] = []
  const ipsAnn = annotation(ann, 'loadBalancerIPs', deprecated)
  const pool = annotation(ann, 'addressPool', deprecated) || undefined
  const sharingKey = annotation(ann, 'allowSharedIP', deprecated) ?? ''
  const policy: FamilyPolicy = spec.ipFamilyPolicy ?? 'SingleStack'
  const listed = [...new Set((spec.ipFamilies ?? []).map(familyOf).filter((f): f is Family => f !== undefined))]
  let families: Family[] = listed.length ? listed.slice(0, 2) : [4]
  if (policy === 'SingleStack') families = families.slice(0, 1)
  else if (policy === 'RequireDualStack' && families.length === 1) families = [families[0], families[0] === 4 ? 6 : 4]
  const backendKey = spec.externalTrafficPolicy === 'Local'
    ? Object.keys(spec.selector ?? {}).sort().map((k) => `${k}=${spec.selector![k]}`).join(',')
    : ''
  const req: ServiceRequest = {
    key: serviceKey(svc),
    namespace: svc.metadata.namespace ?? 'default',
    labels: svc.metadata.labels ?? {},
    namespaceLabels,
    requested: [],
    pool,
    sharingKey,
    backendKey,
    ports: [...new Set((spec.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`))],
    families,
    policy,
    deprecated,
  }
  const lbIP = spec.loadBalancerIP ?? ''
  if (lbIP && ipsAnn) {
    req.invalid = {reason: 'bothIPFieldsSet', loadBalancerIP: lbIP, annotation: ann[Annotations.loadBalancerIPs] !== undefined ? Annotations.loadBalancerIPs : DeprecatedAnnotations.loadBalancerIPs}
    return req
  }
  const texts = (ipsAnn ? ipsAnn.split(',') : lbIP ? [lbIP] : []).map((s) => s.trim()).filter(Boolean)
  for (const t of texts) {
    try {
      req.requested.push(parseIP(t))
    } catch (e) {
      if (!(e instanceof NetParseError)) throw e
      req.invalid = {reason: 'invalidRequestedIP', value: t, detail: e.reason}
      return req
    }
  }
  const fams = req.requested.map((ip) => ip.family)
  if (fams.length > 2 || new Set(fams).size !== fams.length) {
    req.invalid = {reason: 'tooManyRequestedIPs', ips: texts}
    return req
  }
  if (fams.length > 0) {
    const want = families
    const fits = fams.every((f) => want.includes(f)) &&
      (fams.length === want.length || (policy === 'PreferDualStack' && fams.length === 1))
    if (!fits) {
      req.invalid = {
        reason: 'familyMismatch',
        detail: `requested ${texts.join(', ')} (${fams.map(familyName).join(' + ')}) does not fit ipFamilyPolicy ${policy} with ipFamilies ${want.map(familyName).join(', ')}`,
      }
    }
  }
  return req
}
