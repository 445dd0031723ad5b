/**
 * Authorization as kube-apiserver's RBAC authorizer decides it, over the Roles, ClusterRoles and bindings in the
 * store: request attributes from the URL (k8s.io/apiserver RequestInfoFactory), rules matched on verbs, apiGroups,
 * resources (`x/y` subresources, `*`, `*\/y`), resourceNames and nonResourceURLs (`*` and `prefix*`), and the
 * Forbidden message kube-apiserver writes. Role aggregation is not modelled.
 */
import {ApiError} from './errors.js'
import type {Store} from './store.js'
import type {UserInfo} from './tokens.js'

export interface Attributes {
  user: UserInfo
  verb: string
  /** Resource requests. */
  resourceRequest: boolean
  namespace?: string
  group?: string
  version?: string
  resource?: string
  subresource?: string
  name?: string
  /** Non-resource requests. */
  path?: string
}

export interface Decision {
  allowed: boolean
  reason: string
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize'])

/** The attributes of an HTTP request, as RequestInfoFactory derives them; non-API paths are non-resource requests. */
export const requestAttributes = (user: UserInfo, method: string, path: string, q: URLSearchParams): Attributes => {
  const segs = path.split('/').filter(Boolean)
  const lower = method.toLowerCase()
  const api = segs[0] === 'api' ? 2 : segs[0] === 'apis' ? 3 : 0
  if (api === 0 || segs.length <= api) return {user, verb: lower, resourceRequest: false, path}
  const a: Attributes = {user, verb: lower, resourceRequest: true, group: api === 2 ? '' : segs[1], version: segs[api - 1]}
  let parts = segs.slice(api)
  let watchPath = false
  if (parts[0] === 'watch') [watchPath, parts] = [true, parts.slice(1)]
  if (parts[0] === 'namespaces' && parts.length > 1) {
    a.namespace = parts[1]
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) parts = parts.slice(2)
  }
  ;[a.resource, a.name, a.subresource] = [parts[0], parts[1], parts[2]]
  const verbs: Record<string, string> = {post: 'create', get: 'get', head: 'get', put: 'update', patch: 'patch', delete: 'delete'}
  a.verb = verbs[lower] ?? lower
  const watchParam = q.get('watch')
  const watching = watchPath || (watchParam !== null && watchParam !== '0' && watchParam.toLowerCase() !== 'false')
  if (a.verb === 'get' && (!a.name || watchPath)) a.verb = watching ? 'watch' : 'list'
  if (a.verb === 'delete' && !a.name) a.verb = 'deletecollection'
  if ((a.verb === 'list' || a.verb === 'watch') && !a.name) {
    const m = /^metadata\.name==?([^,]+)$/.exec(q.get('fieldSelector') ?? '')
    if (m) a.name = m[1]
  }
  return a
}

const has = (list: unknown, v: string): boolean => Array.isArray(list) && (list.includes('*') || list.includes(v))

const resourceMatches = (rule: any, resource: string, sub?: string): boolean => {
  const rs: unknown[] = rule.resources ?? []
  const combined = sub ? `${resource}/${sub}` : resource
  return rs.some((r) => r === '*' || r === combined || (sub !== undefined && r === `*/${sub}`))
}

const ruleAllows = (rule: any, a: Attributes): boolean => {
  if (!has(rule.verbs, a.verb)) return false
  if (!a.resourceRequest) {
    return (rule.nonResourceURLs ?? []).some((u: string) => u === '*' || u === a.path || (u.endsWith('*') && a.path!.startsWith(u.slice(0, -1))))
  }
  if (!has(rule.apiGroups, a.group ?? '') || !resourceMatches(rule, a.resource!, a.subresource)) return false
  const names: string[] = rule.resourceNames ?? []
  return names.length === 0 || (a.name !== undefined && names.includes(a.name))
}

/** Whether a binding subject is the user (a ServiceAccount subject without a namespace means the binding's). */
const appliesTo = (s: any, user: UserInfo, bindingNamespace: string | undefined): boolean => {
  if (s?.kind === 'User') return s.name === user.username
  if (s?.kind === 'Group') return user.groups.includes(s.name)
  if (s?.kind === 'ServiceAccount') return user.username === `system:serviceaccount:${s.namespace || bindingNamespace || ''}:${s.name}`
  return false
}

const describeSubject = (s: any, bindingNamespace?: string): string =>
  s.kind === 'ServiceAccount' ? `ServiceAccount "${s.name}/${s.namespace || bindingNamespace}"` : `${s.kind} "${s.name}"`

/** Paths every authenticated user may GET (the system:discovery and system:public-info-viewer bootstrap roles). */
const PUBLIC = [/^\/(api|apis|openapi)(\/.*)?$/, /^\/(version|healthz|livez|readyz)\/?$/]
/** Kinds every authenticated user may create (system:basic-user): reviews about oneself. */
const SELF_REVIEWS = new Set(['authorization.k8s.io/selfsubjectaccessreviews', 'authorization.k8s.io/selfsubjectrulesreviews', 'authentication.k8s.io/selfsubjectreviews'])

/** The RBAC decision for one request, with kube-apiserver's reason when a binding allows it. */
export const authorize = (store: Store, a: Attributes): Decision => {
  const {user} = a
  if (user.groups.includes('system:masters')) return {allowed: true, reason: ''}
  if (user.groups.includes('system:authenticated')) {
    if (!a.resourceRequest && a.verb === 'get' && PUBLIC.some((p) => p.test(a.path!))) return {allowed: true, reason: 'allowed by the system:discovery and system:public-info-viewer ClusterRoles'}
    if (a.resourceRequest && a.verb === 'create' && SELF_REVIEWS.has(`${a.group}/${a.resource}`)) return {allowed: true, reason: 'allowed by the system:basic-user ClusterRole'}
  }
  const rbac = 'rbac.authorization.k8s.io'
  const rolesOf = (ref: any, ns: string | undefined): any[] => {
    if (ref?.apiGroup !== rbac) return []
    const obj = ref.kind === 'ClusterRole' ? store.get(`clusterroles.${rbac}`, undefined, ref.name) : ref.kind === 'Role' && ns ? store.get(`roles.${rbac}`, ns, ref.name) : undefined
    return obj?.rules ?? []
  }
  for (const b of store.list(`clusterrolebindings.${rbac}`)) {
    const s = (b.subjects ?? []).find((x: any) => appliesTo(x, user, undefined))
    if (s && rolesOf(b.roleRef, undefined).some((r) => ruleAllows(r, a)))
      return {allowed: true, reason: `RBAC: allowed by ClusterRoleBinding "${b.metadata.name}" of ClusterRole "${b.roleRef.name}" to ${describeSubject(s)}`}
  }
  if (a.resourceRequest && a.namespace) {
    for (const b of store.list(`rolebindings.${rbac}`, a.namespace)) {
      const s = (b.subjects ?? []).find((x: any) => appliesTo(x, user, a.namespace))
      if (s && rolesOf(b.roleRef, a.namespace).some((r) => ruleAllows(r, a)))
        return {allowed: true, reason: `RBAC: allowed by RoleBinding "${b.metadata.name}/${a.namespace}" of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubject(s, a.namespace)}`}
    }
  }
  return {allowed: false, reason: ''}
}

/** kube-apiserver's 403 for a refused request (responsewriters.Forbidden). */
export const forbiddenError = (a: Attributes): ApiError => {
  const who = `User "${a.user.username}"`
  if (!a.resourceRequest) return new ApiError(403, 'Forbidden', `forbidden: ${who} cannot ${a.verb} path "${a.path}"`, {})
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope'
  const why = `${who} cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource
  const details: Record<string, unknown> = {}
  if (a.name) details.name = a.name
  if (a.group) details.group = a.group
  details.kind = a.resource
  return new ApiError(403, 'Forbidden', `${qualified}${a.name ? ` "${a.name}"` : ''} is forbidden: ${why}`, details)
}
