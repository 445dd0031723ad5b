/** meta.k8s.io/v1 Table responses (what `kubectl get` asks for with `Accept: …;as=Table`). */
import type {PrinterColumn, ResourceType} from './registry.js'

export const acceptsTable = (accept: string | undefined): boolean => /as=Table/.test(accept ?? '')

const age = (ts: string | undefined): string => {
  if (!ts) return '<unknown>'
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000))
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.floor(s / 60)}m`
  if (s < 172800) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86400)}d`
}

/** A JSONPath subset: `.a.b`, `.a[0].b`, `.a[?(@.k=="v")].b`. */
export const jsonPath = (obj: any, path: string): unknown => {
  let cur: any = obj
  const re = /\.([^.[\]]+)|\[(\d+)\]|\[\?\(@\.([^=!]+)==["']?([^"')]*)["']?\)\]/g
  for (const m of path.matchAll(re)) {
    if (cur === undefined || cur === null) return undefined
    if (m[1] !== undefined) cur = cur[m[1]]
    else if (m[2] !== undefined) cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined
    else cur = Array.isArray(cur) ? cur.find((x) => String(x?.[m[3]]) === m[4]) : undefined
  }
  return cur
}

const col = (name: string, jsonPathExpr: string, type = 'string', priority = 0): PrinterColumn => ({name, type, jsonPath: jsonPathExpr, priority})

const BUILTIN_COLUMNS: Record<string, Array<PrinterColumn | ((o: any) => string)>> = {
  '/Namespace': [col('Status', '.status.phase')],
  '/Service': [
    col('Type', '.spec.type'),
    col('Cluster-IP', '.spec.clusterIP'),
    (o) => (o.status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip ?? i.hostname).join(',') || (o.spec?.type === 'LoadBalancer' ? '<pending>' : '<none>'),
    (o) => (o.spec?.ports ?? []).map((p: any) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') || '<none>',
  ],
  '/ConfigMap': [(o) => String(Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length)],
  '/Secret': [col('Type', '.type'), (o) => String(Object.keys(o.data ?? {}).length)],
  '/Node': [(o) => (o.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady'],
  '/Pod': [col('Status', '.status.phase'), col('IP', '.status.podIP', 'string', 1)],
  'apps/Deployment': [(o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`, col('Up-to-date', '.status.updatedReplicas', 'integer'), col('Available', '.status.availableReplicas', 'integer')],
  'apps/DaemonSet': [col('Desired', '.status.desiredNumberScheduled', 'integer'), col('Ready', '.status.numberReady', 'integer')],
}
const FN_NAMES: Record<string, string[]> = {
  '/Service': ['External-IP', 'Port(s)'],
  '/ConfigMap': ['Data'],
  '/Secret': ['Data'],
  '/Node': ['Status'],
  'apps/Deployment': ['Ready'],
}

export const toTable = (rt: ResourceType, objs: any[], q: URLSearchParams, resourceVersion: string, cont?: string): any => {
  const specs: Array<PrinterColumn | ((o: any) => string)> = rt.crd
    ? (rt.printerColumns ?? []).filter((c) => c.jsonPath !== '.metadata.creationTimestamp')
    : (BUILTIN_COLUMNS[`${rt.group}/${rt.kind}`] ?? [])
  const fnNames = [...(FN_NAMES[`${rt.group}/${rt.kind}`] ?? [])]
  const columns = [
    {name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0},
    ...specs.map((s) =>
      typeof s === 'function'
        ? {name: fnNames.shift() ?? '', type: 'string', format: '', description: '', priority: 0}
        : {name: s.name, type: s.type, format: s.format ?? '', description: s.description ?? '', priority: s.priority ?? 0},
    ),
    {name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0},
  ]
  const include = q.get('includeObject') ?? 'Metadata'
  const rows = objs.map((o) => ({
    cells: [
      o.metadata?.name,
      ...specs.map((s) => {
        const v = typeof s === 'function' ? s(o) : jsonPath(o, s.jsonPath)
        return v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : v
      }),
      age(o.metadata?.creationTimestamp),
    ],
    object:
      include === 'None'
        ? undefined
        : include === 'Object'
          ? o
          : {kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata},
  }))
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {resourceVersion, ...(cont ? {continue: cont} : {})},
    columnDefinitions: columns,
    rows,
  }
}
