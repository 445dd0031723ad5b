/** HTTP: routing of Kubernetes API paths to the registry semantics, discovery, watch, faults and the request log. */
import http, {type IncomingMessage, type ServerResponse} from 'node:http'
import https from 'node:https'
import type {Api, WriteOptions} from './api.js'
import {
  AGGREGATED_CONTENT_TYPE,
  aggregated,
  apiGroup,
  apiGroupList,
  apiVersions,
  openapiGroupVersion,
  openapiIndex,
  resourceList,
  versionInfo,
  wantsAggregated,
} from './discovery.js'
import {parse as parseYaml} from 'yaml'
import {ApiError, badRequest, internalError, methodNotAllowed, unauthorized, unsupportedMediaType} from './errors.js'
import type {FaultInjector} from './faults.js'
import type {Registry, ResourceType} from './registry.js'
import {acceptsTable, toTable} from './table.js'
import type {Watches} from './watch.js'
import type {Workloads} from './workloads.js'
import type {PodLogs} from './logs.js'
import {queryBool} from './params.js'
import {authorize, forbiddenError, requestAttributes, type Attributes} from './rbac.js'
import {review, tokenRequest, type ReviewContext} from './reviews.js'
import {ADMIN, serviceAccountUser, type TokenAuthority, type UserInfo} from './tokens.js'
import type {Store} from './store.js'
import {decodeRequest, PROTOBUF, ProtobufError} from './protobuf/decode.js'

export interface RequestRecord {
  method: string
  path: string
  /** The query string, with its leading `?` (empty when there is none). */
  query: string
  status: number
  /** Who sent it, once authenticated (`system:serviceaccount:NS:NAME`, `kubernetes-admin`, …). */
  user?: string
  /** Which issued token it carried (`JTI=…`), for service-account tokens. */
  credential?: string
}

export interface ServerDeps {
  api: Api
  registry: Registry
  watches: Watches
  faults: FaultInjector
  workloads: Workloads
  requests: RequestRecord[]
  auth: Authentication
  tokens: TokenAuthority
  logs: PodLogs
  /** Whether service-account tokens are held to RBAC (the admin tokens never are). */
  rbac: {enforce: boolean}
  /** Serve HTTPS with this key and certificate (PEM); plain HTTP without. */
  tls?: {key: string | Buffer; cert: string | Buffer}
  hostPort: () => string
}

/** Which bearer tokens the server accepts; read per request, so tests can rotate them. */
export interface Authentication {
  tokens: readonly string[]
  /**
   * false: no credentials is fine (like the old insecure port: client-go sends none over plain http), wrong ones are
   * not, except on the health and version endpoints. true: every request needs an accepted token, else 401, as an
   * API server started with --anonymous-auth=false answers.
   */
  required: boolean
}

const NOT_FOUND = new ApiError(404, 'NotFound', 'the server could not find the requested resource', {})
const ANONYMOUS = new Set(['/version', '/healthz', '/livez', '/readyz'])

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })

const send = (res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): void => {
  if (res.headersSent) {
    res.end()
    return
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(code, {'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), ...headers})
  res.end(text)
}

const sendError = (res: ServerResponse, err: ApiError): void => send(res, err.code, err.toStatus(), err.headers)

interface Target {
  rt: ResourceType
  ns?: string
  name?: string
  sub?: string
  rest: string[]
  watch: boolean
}

/** /api/v1/…, /apis/<group>/<version>/…: [namespaces/<ns>/]<plural>[/<name>[/<subresource>[/…]]] */
const resolve = (reg: Registry, segs: string[]): Target | undefined => {
  let group: string
  let version: string
  let rest: string[]
  if (segs[0] === 'api') [group, version, rest] = ['', segs[1], segs.slice(2)]
  else [group, version, rest] = [segs[1], segs[2], segs.slice(3)]
  let watch = false
  if (rest[0] === 'watch') [watch, rest] = [true, rest.slice(1)]
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const rt = reg.byPath(group, version, rest[2])
    if (rt?.namespaced) return {rt, ns: rest[1], name: rest[3], sub: rest[4], rest: rest.slice(5), watch}
  }
  const rt = reg.byPath(group, version, rest[0])
  if (!rt || (rt.namespaced && rest.length > 1)) return undefined
  return {rt, name: rest[1], sub: rest[2], rest: rest.slice(3), watch}
}

const protobufBody = (body: Buffer): unknown => {
  try {
    return decodeRequest(body)
  } catch (e) {
    if (e instanceof ProtobufError) throw badRequest(`unable to decode the protobuf body: ${e.message}`)
    throw e
  }
}

const managerFromAgent = (ua: string | undefined): string => (ua ?? '').split('/')[0] || 'unknown'

export const createServer = (deps: ServerDeps): http.Server => {
  const {api, registry, faults} = deps

  const discovery = (req: IncomingMessage, res: ServerResponse, segs: string[]): boolean => {
    const path = `/${segs.join('/')}`
    const accept = req.headers.accept
    if (path === '/version') send(res, 200, versionInfo())
    else if (path === '/healthz' || path === '/livez' || path === '/readyz') send(res, 200, 'ok', {}, 'text/plain; charset=utf-8')
    else if (path === '/api' || path === '/apis') {
      if (wantsAggregated(accept)) send(res, 200, aggregated(registry, path === '/api'), {}, AGGREGATED_CONTENT_TYPE)
      else send(res, 200, path === '/api' ? apiVersions(deps.hostPort()) : apiGroupList(registry))
    } else if (segs[0] === 'apis' && segs.length === 2) {
      const g = apiGroup(registry, segs[1])
      if (!g) throw NOT_FOUND
      send(res, 200, g)
    } else if ((segs[0] === 'api' && segs.length === 2) || (segs[0] === 'apis' && segs.length === 3)) {
      const l = segs[0] === 'api' ? resourceList(registry, '', segs[1]) : resourceList(registry, segs[1], segs[2])
      if (!l) throw NOT_FOUND
      send(res, 200, l)
    } else if (path === '/openapi/v3') send(res, 200, openapiIndex(registry))
    else if (segs[0] === 'openapi' && segs[1] === 'v3') {
      const doc = segs[2] === 'api' ? openapiGroupVersion(registry, '', segs[3]) : openapiGroupVersion(registry, segs[3], segs[4])
      if (!doc) throw NOT_FOUND
      send(res, 200, doc)
    } else return false
    return true
  }

  const reviews: ReviewContext = {
    store: api.store,
    tokens: deps.tokens,
    adminTokens: () => deps.auth.tokens,
    get enforce() {
      return deps.rbac.enforce
    },
  }

  const resource = async (req: IncomingMessage, res: ServerResponse, t: Target, q: URLSearchParams, body: Buffer, user: UserInfo): Promise<void> => {
    const raw = body.toString('utf8')
    const {rt, ns, name, sub} = t
    const method = req.method ?? 'GET'
    const manager = q.get('fieldManager') ?? managerFromAgent(req.headers['user-agent'])
    const opts: WriteOptions = {
      dryRun: q.getAll('dryRun').includes('All'),
      manager,
      explicitManager: q.has('fieldManager'),
      fieldValidation: q.get('fieldValidation') ?? undefined,
      force: queryBool(q, 'force'),
    }
    const json = (): unknown => {
      if (body.length === 0) return undefined
      const ct = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim()
      if (ct === 'application/yaml') return parseYaml(raw)
      // built-in kinds have a protobuf encoding (kubectl's typed clients send it); custom resources do not
      if (ct === PROTOBUF && !rt.crd) return protobufBody(body)
      if (ct !== 'application/json' && ct !== '*/*')
        throw unsupportedMediaType(ct, rt.crd ? ['application/json', 'application/yaml'] : ['application/json', 'application/yaml', PROTOBUF])
      try {
        return JSON.parse(raw)
      } catch (e) {
        throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`)
      }
    }
    const table = acceptsTable(req.headers.accept)
    const reply = (o: {obj: any; code: number; warnings: string[]}) => {
      const headers: Record<string, string> = {}
      if (o.warnings.length) headers.Warning = o.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ')
      send(res, o.code, o.obj, headers)
    }
    const isWatch = t.watch || queryBool(q, 'watch')

    if (sub !== undefined) {
      if (!name || !rt.subresources.includes(sub)) throw NOT_FOUND
      if (sub === 'proxy') return deps.workloads.proxy(req, res, rt, ns, name, t.rest, raw)
      if (sub === 'log') {
        if (method !== 'GET') throw methodNotAllowed()
        return deps.logs.serve(req, res, ns!, name, q)
      }
      if (sub === 'token') {
        if (method !== 'POST') throw methodNotAllowed()
        return reply(tokenRequest(reviews, ns!, name, json()))
      }
      if (sub === 'scale') return reply(deps.workloads.scale(method, rt, ns, name, method === 'PUT' ? json() : undefined, req.headers['content-type'] ?? '', raw, opts))
      opts.subresource = sub
      if (method === 'GET') return send(res, 200, api.get(rt, ns, name))
      if (method === 'PUT') return reply(api.update(rt, ns, name, json(), opts))
      if (method === 'PATCH') return reply(api.patch(rt, ns, name, req.headers['content-type'] ?? '', raw, opts))
      throw methodNotAllowed()
    }
    if (rt.virtual) {
      if (method !== 'POST' || name) throw methodNotAllowed()
      return reply(review(reviews, rt, json(), user))
    }
    if (!name) {
      if (method === 'GET' && isWatch) return deps.watches.serve(req, res, rt, ns, q, table ? (r, _type, obj) => toTable(r, [obj], q, String(api.store.rv)) : undefined)
      if (method === 'GET') {
        const list = api.list(rt, ns, q)
        return send(res, 200, table ? toTable(rt, list.items.map((i: any) => ({apiVersion: list.apiVersion, kind: rt.kind, ...i})), q, list.metadata.resourceVersion, list.metadata.continue) : list)
      }
      if (method === 'POST') return reply(api.create(rt, ns, json(), opts))
      if (method === 'DELETE') return reply(api.deleteCollection(rt, ns, q, opts.dryRun ?? false))
      throw methodNotAllowed()
    }
    if (method === 'GET' && isWatch) {
      q.set('fieldSelector', [q.get('fieldSelector'), `metadata.name=${name}`].filter(Boolean).join(','))
      return deps.watches.serve(req, res, rt, ns, q)
    }
    if (method === 'GET') {
      const obj = api.get(rt, ns, name)
      return send(res, 200, table ? toTable(rt, [obj], q, obj.metadata.resourceVersion) : obj)
    }
    if (method === 'PUT') return reply(api.update(rt, ns, name, json(), opts))
    if (method === 'PATCH') return reply(api.patch(rt, ns, name, req.headers['content-type'] ?? '', raw, opts))
    if (method === 'DELETE') {
      const body: any = json() ?? {}
      const dryRun = opts.dryRun || (Array.isArray(body.dryRun) && body.dryRun.includes('All'))
      return reply(api.delete(rt, ns, name, {dryRun, preconditions: body.preconditions}))
    }
    throw methodNotAllowed()
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://harness')
    const rec: RequestRecord = {method: req.method ?? 'GET', path: url.pathname, query: url.search, status: 0}
    deps.requests.push(rec)
    // bounded for long-running harness processes; tests never come near it
    if (deps.requests.length > 200_000) deps.requests.splice(0, 100_000)
    const writeHead = res.writeHead.bind(res) as (...a: any[]) => ServerResponse
    res.writeHead = ((...args: any[]) => {
      const r = writeHead(...args)
      rec.status = res.statusCode
      return r
    }) as typeof res.writeHead
    try {
      const body = await readBody(req)
      if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs))
      const fault = faults.check(rec.method, url.pathname + url.search)
      if (fault) throw fault
      const user = impersonate(api.store, identify(deps, req.headers.authorization, url.pathname), req.headers)
      rec.user = user.username
      rec.credential = user.extra?.['authentication.kubernetes.io/credential-id']?.[0]
      const attrs = requestAttributes(user, rec.method, url.pathname, url.searchParams)
      const serviceAccount = user.username.startsWith('system:serviceaccount:')
      if ((deps.rbac.enforce || !serviceAccount) && !authorize(api.store, attrs).allowed) throw forbiddenError(attrs)
      await faults.interleave(rec.method, url.pathname + url.search)
      const segs = url.pathname.split('/').filter(Boolean)
      if (discovery(req, res, segs)) return
      const t = (segs[0] === 'api' && segs.length > 2) || (segs[0] === 'apis' && segs.length > 3) ? resolve(registry, segs) : undefined
      if (!t) throw NOT_FOUND
      await resource(req, res, t, url.searchParams, body, user)
    } catch (e) {
      sendError(res, e instanceof ApiError ? e : internalError(e))
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => void handle(req, res)
  return deps.tls ? https.createServer({key: deps.tls.key, cert: deps.tls.cert}, listener) : http.createServer(listener)
}

/**
 * Who sends a request: an admin token (system:masters), a service-account token the harness issued, or — when tokens
 * are not required — nobody, as on the old insecure port (system:unsecured, no authorization). Anything else is 401.
 */
const identify = (deps: ServerDeps, header: string | undefined, path: string): UserInfo => {
  const m = header === undefined ? null : /^Bearer (.+)$/i.exec(header)
  if (m && deps.auth.tokens.includes(m[1])) return ADMIN
  if (m) {
    const r = deps.tokens.authenticate(m[1])
    if ('user' in r) return r.user
  }
  if (!deps.auth.required && (header === undefined || ANONYMOUS.has(path))) return UNSECURED
  throw unauthorized()
}

/**
 * Impersonate-User / -Group / -Uid headers (kubectl --as, --as-group): the requester needs the `impersonate` verb on
 * users, groups or serviceaccounts, as kube-apiserver's impersonation filter checks; the result is authenticated.
 */
const impersonate = (store: Store, user: UserInfo, headers: IncomingMessage['headers']): UserInfo => {
  const as = headers['impersonate-user']
  const groupHeader = headers['impersonate-group']
  const groups = groupHeader === undefined ? [] : Array.isArray(groupHeader) ? groupHeader : [groupHeader]
  if (as === undefined && groups.length === 0) return user
  if (typeof as !== 'string' || as === '') throw badRequest('requested impersonation of groups without impersonating a user')
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(as)
  const check = (resource: string, name: string, namespace?: string) => {
    const a: Attributes = {user, verb: 'impersonate', resourceRequest: true, group: '', resource, name, namespace}
    if (!authorize(store, a).allowed) throw forbiddenError(a)
  }
  if (sa) check('serviceaccounts', sa[2], sa[1])
  else check('users', as)
  for (const g of groups) check('groups', g)
  const base = sa ? serviceAccountUser(sa[1], sa[2]).groups : []
  const all = [...new Set([...(groups.length ? groups : base), ...(as === 'system:anonymous' ? [] : ['system:authenticated'])])]
  const uid = headers['impersonate-uid']
  return {username: as, groups: all, ...(typeof uid === 'string' ? {uid} : {})}
}

const UNSECURED: UserInfo = {username: 'system:unsecured', groups: ['system:masters', 'system:authenticated']}
