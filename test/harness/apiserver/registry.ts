/** The kinds the harness serves: a table of built-ins, plus those that CustomResourceDefinitions add. */
import {compileCauses} from './cel.js'
import type {Cause} from './errors.js'

export interface PrinterColumn {
  name: string
  type: string
  jsonPath: string
  description?: string
  priority?: number
  format?: string
}

export interface ResourceType {
  group: string
  version: string
  kind: string
  plural: string
  singular: string
  listKind: string
  namespaced: boolean
  shortNames: string[]
  categories: string[]
  /** Subresources served (`status`, `scale`, `proxy`). */
  subresources: string[]
  /** Whether metadata.generation is maintained (CRs and workloads, not e.g. ConfigMaps). */
  generation: boolean
  /** DELETE returns the object rather than a `Status` of Success. */
  returnDeletedObject: boolean
  /** Field labels beyond metadata.name/metadata.namespace that fieldSelector accepts. */
  fieldLabels: string[]
  /** Set for custom resources: the version's openAPIV3Schema and the CRD it came from. */
  schema?: any
  crd?: string
  printerColumns?: PrinterColumn[]
  /** True for the version CRD objects are stored in (for CRs), always true for built-ins. */
  storage: boolean
  /** Only `create` (e.g. SelfSubjectAccessReview): nothing is stored. */
  virtual?: boolean
  /** The group-resource whose storage this one shares (events.k8s.io events are core events). */
  storeAs?: string
}

export const groupVersion = (rt: {group: string; version: string}): string =>
  rt.group ? `${rt.group}/${rt.version}` : rt.version

/** The storage key of a group-resource: `services`, `ipaddresspools.metallb.io`. */
export const grKey = (rt: {group: string; plural: string; storeAs?: string}): string =>
  rt.storeAs ?? (rt.group ? `${rt.plural}.${rt.group}` : rt.plural)

export const splitApiVersion = (apiVersion: string): {group: string; version: string} => {
  const i = apiVersion.indexOf('/')
  return i < 0 ? {group: '', version: apiVersion} : {group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1)}
}

type Builtin = [gv: string, kind: string, plural: string, flags: string, shortNames?: string[], fieldLabels?: string[]]

// flags: c = cluster-scoped, s = status subresource, g = generation, r = DELETE returns the object,
// p = proxy subresource, x = scale subresource, v = virtual (create only), t = token subresource, l = log subresource
const BUILTINS: Builtin[] = [
  ['v1', 'Namespace', 'namespaces', 'csr', ['ns'], ['status.phase']],
  ['v1', 'Service', 'services', 'sp', ['svc'], ['spec.clusterIP', 'spec.type']],
  ['v1', 'Endpoints', 'endpoints', '', ['ep']],
  ['v1', 'Pod', 'pods', 'srpl', ['po'], ['spec.nodeName', 'status.phase', 'status.podIP', 'spec.serviceAccountName']],
  ['v1', 'Node', 'nodes', 'csp', ['no'], ['spec.unschedulable']],
  ['v1', 'ConfigMap', 'configmaps', '', ['cm']],
  ['v1', 'Secret', 'secrets', '', [], ['type']],
  [
    'v1',
    'Event',
    'events',
    '',
    ['ev'],
    [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
  ],
  ['v1', 'ServiceAccount', 'serviceaccounts', 't', ['sa']],
  ['discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices', ''],
  ['apps/v1', 'Deployment', 'deployments', 'sgx', ['deploy']],
  ['apps/v1', 'DaemonSet', 'daemonsets', 'sg', ['ds']],
  ['apps/v1', 'StatefulSet', 'statefulsets', 'sgx', ['sts']],
  ['apps/v1', 'ReplicaSet', 'replicasets', 'sgx', ['rs']],
  ['coordination.k8s.io/v1', 'Lease', 'leases', ''],
  ['events.k8s.io/v1', 'Event', 'events', '', ['ev'], ['regarding.kind', 'regarding.name', 'regarding.namespace', 'reason', 'type']],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', 'csg', ['crd', 'crds']],
  ['rbac.authorization.k8s.io/v1', 'Role', 'roles', ''],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', 'c'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', ''],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', 'c'],
  ['authorization.k8s.io/v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', 'cv'],
  ['authorization.k8s.io/v1', 'SubjectAccessReview', 'subjectaccessreviews', 'cv'],
  ['authentication.k8s.io/v1', 'TokenReview', 'tokenreviews', 'cv'],
  ['authentication.k8s.io/v1', 'SelfSubjectReview', 'selfsubjectreviews', 'cv'],
  ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', 'cg'],
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', 'cg'],
]

const builtin = ([gv, kind, plural, flags, shortNames = [], fieldLabels = []]: Builtin): ResourceType => {
  const {group, version} = splitApiVersion(gv)
  const subresources: string[] = []
  if (flags.includes('s')) subresources.push('status')
  if (flags.includes('x')) subresources.push('scale')
  if (flags.includes('p')) subresources.push('proxy')
  if (flags.includes('t')) subresources.push('token')
  if (flags.includes('l')) subresources.push('log')
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    listKind: `${kind}List`,
    namespaced: !flags.includes('c'),
    shortNames,
    categories: ['Pod', 'Service', 'Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet'].includes(kind) ? ['all'] : [],
    subresources,
    generation: flags.includes('g'),
    returnDeletedObject: flags.includes('r'),
    fieldLabels,
    storage: gv !== 'events.k8s.io/v1',
    virtual: flags.includes('v') || undefined,
    storeAs: gv === 'events.k8s.io/v1' ? 'events' : undefined,
  }
}

/** Kubernetes version priority: GA > beta > alpha, then by number (v1 > v1beta2 > v1beta1 > v1alpha1). */
export const compareVersions = (a: string, b: string): number => {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v)
    if (!m) return [0, 0, 0]
    return [m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, Number(m[1]), Number(m[3] ?? 0)]
  }
  const [ra, rb] = [rank(a), rank(b)]
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return rb[i] - ra[i]
  return a < b ? -1 : a > b ? 1 : 0
}

export class Registry {
  private types: ResourceType[] = BUILTINS.map(builtin)

  all(): ResourceType[] {
    return this.types
  }

  byPath(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.plural === plural)
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const {group, version} = splitApiVersion(apiVersion)
    return this.types.find((t) => t.group === group && t.version === version && t.kind === kind)
  }

  /** Every served version of one group-resource. */
  versionsOf(key: string): ResourceType[] {
    return this.types.filter((t) => grKey(t) === key)
  }

  /** group → versions, sorted by priority, as discovery lists them. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>()
    for (const t of this.types) {
      const vs = out.get(t.group) ?? []
      if (!vs.includes(t.version)) vs.push(t.version)
      out.set(t.group, vs)
    }
    for (const vs of out.values()) vs.sort(compareVersions)
    return out
  }

  /** Checks a CRD the way the apiextensions validation does (the parts that matter here). */
  validateCrd(crd: any): Cause[] {
    const causes: Cause[] = []
    const spec = crd?.spec ?? {}
    const names = spec.names ?? {}
    const req = (field: string, v: unknown) => {
      if (v === undefined || v === '' || v === null) causes.push({field, message: 'Required value', reason: 'FieldValueRequired'})
    }
    req('spec.group', spec.group)
    req('spec.names.plural', names.plural)
    req('spec.names.kind', names.kind)
    req('spec.scope', spec.scope)
    if (spec.scope && !['Namespaced', 'Cluster'].includes(spec.scope))
      causes.push({field: 'spec.scope', message: `Unsupported value: "${spec.scope}": supported values: "Cluster", "Namespaced"`, reason: 'FieldValueNotSupported'})
    if (names.plural && spec.group && crd.metadata?.name !== `${names.plural}.${spec.group}`)
      causes.push({field: 'metadata.name', message: `Invalid value: "${crd.metadata?.name}": must be spec.names.plural+"."+spec.group`, reason: 'FieldValueInvalid'})
    const versions: any[] = Array.isArray(spec.versions) ? spec.versions : []
    if (versions.length === 0) causes.push({field: 'spec.versions', message: 'Invalid value: null: must have exactly one version marked as storage version', reason: 'FieldValueInvalid'})
    else if (versions.filter((v) => v?.storage).length !== 1)
      causes.push({field: 'spec.versions', message: 'Invalid value: must have exactly one version marked as storage version', reason: 'FieldValueInvalid'})
    versions.forEach((v, i) => {
      if (!v?.schema?.openAPIV3Schema)
        causes.push({field: `spec.versions[${i}].schema.openAPIV3Schema`, message: 'Required value: schemas are required', reason: 'FieldValueRequired'})
      else causes.push(...compileCauses(v.schema.openAPIV3Schema, `spec.versions[${i}].schema.openAPIV3Schema`))
    })
    for (const t of this.types) {
      if (t.crd === crd.metadata?.name || t.group !== spec.group) continue
      if (t.kind === names.kind)
        causes.push({field: 'status.acceptedNames.kind', message: `Invalid value: "${names.kind}": is already in use`, reason: 'FieldValueInvalid'})
    }
    return causes
  }

  /** Serve (or re-serve, after an update) every served version of a CRD. */
  registerCrd(crd: any): void {
    const name = crd.metadata.name
    this.unregisterCrd(name)
    const spec = crd.spec
    const names = spec.names
    for (const v of spec.versions ?? []) {
      if (v.served === false) continue
      const sub = v.subresources ?? spec.subresources ?? {}
      this.types.push({
        group: spec.group,
        version: v.name,
        kind: names.kind,
        plural: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        listKind: names.listKind ?? `${names.kind}List`,
        namespaced: spec.scope !== 'Cluster',
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        subresources: [...(sub.status ? ['status'] : []), ...(sub.scale ? ['scale'] : [])],
        generation: true,
        returnDeletedObject: true,
        fieldLabels: (v.selectableFields ?? []).map((f: any) => String(f.jsonPath).replace(/^\./, '')),
        schema: v.schema?.openAPIV3Schema ?? spec.validation?.openAPIV3Schema,
        crd: name,
        printerColumns: v.additionalPrinterColumns,
        storage: !!v.storage,
      })
    }
  }

  unregisterCrd(name: string): void {
    this.types = this.types.filter((t) => t.crd !== name)
  }
}

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z')

/** What the apiextensions controllers write: names accepted, established, stored versions. */
export const crdStatus = (crd: any, old: any | undefined): void => {
  const names = crd.spec.names
  const cond = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    lastTransitionTime: old?.status?.conditions?.find((c: any) => c.type === type)?.lastTransitionTime ?? now(),
    reason,
    message,
  })
  const storage = (crd.spec.versions ?? []).find((v: any) => v.storage)?.name
  const stored: string[] = [...(old?.status?.storedVersions ?? [])]
  if (storage && !stored.includes(storage)) stored.push(storage)
  crd.status = {
    conditions: [cond('NamesAccepted', 'NoConflicts', 'no conflicts found'), cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted')],
    acceptedNames: {plural: names.plural, singular: names.singular, kind: names.kind, listKind: names.listKind, ...(names.shortNames ? {shortNames: names.shortNames} : {}), ...(names.categories ? {categories: names.categories} : {})},
    storedVersions: stored,
  }
}
