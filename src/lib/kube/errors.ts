import {LbctlError} from '../errors.js'

/** What a request was doing, so an error can say which verb on which resource failed, and where. */
export interface RequestContext {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'apply'
  resource: string
  namespace?: string
  name?: string
  server: string
  context: string
  /** The command of the context's exec credential plugin, when it has one (its failures are not lbctl's bugs). */
  execCommand?: string
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'])

/** The HTTP status of a client-node error, if it has one. */
export function statusCode(err: unknown): number | undefined {
  const e = err as {code?: unknown; statusCode?: unknown; response?: {statusCode?: number}}
  if (typeof e?.code === 'number') return e.code
  if (typeof e?.statusCode === 'number') return e.statusCode
  return e?.response?.statusCode
}

/** The socket-level error code (ECONNREFUSED, …), looking through `cause` chains. */
export function connectionCode(err: unknown): string | undefined {
  for (let e = err as {code?: unknown; errno?: unknown; cause?: unknown; message?: string} | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return e.code
    if (typeof e.errno === 'string' && CONNECTION_CODES.has(e.errno)) return e.errno
    if (typeof e.message === 'string') {
      const m = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)\b/.exec(e.message)
      if (m) return m[1]
      if (/socket hang up/i.test(e.message)) return 'ECONNRESET'
    }
  }
  return undefined
}

/** Node's codes for a server certificate it cannot verify, and for a TLS handshake that failed. */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_(VERIFY|GET)_|INVALID_CA$|HOSTNAME_MISMATCH$)/

/**
 * The TLS failure (code, and OpenSSL's words without client-node's "request to URL failed, reason:" wrapping), looking
 * through `cause` chains; undefined for anything else.
 */
export function tlsFailure(err: unknown): {code: string; message: string} | undefined {
  for (let e = err as {code?: unknown; message?: string; cause?: unknown} | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string' && TLS_CODE.test(e.code)) return {code: e.code, message: String(e.message ?? e.code).replace(/^.*\bfailed, reason: /s, '')}
  }
  return undefined
}

/** The Status object the API server sent, parsed when it came as a string. */
export function statusBody(err: unknown): {message?: string; reason?: string; details?: {name?: string; kind?: string; causes?: Array<{field?: string; message?: string}>}} | undefined {
  const body = (err as {body?: unknown})?.body
  if (!body) return undefined
  if (typeof body === 'object') return body as ReturnType<typeof statusBody>
  try {
    return JSON.parse(String(body))
  } catch {
    return {message: String(body)}
  }
}

export function retryAfterMs(err: unknown): number | undefined {
  const h = (err as {headers?: Record<string, string>})?.headers
  const v = h?.['retry-after'] ?? h?.['Retry-After']
  const n = v === undefined ? NaN : Number(v)
  return Number.isFinite(n) ? n * 1000 : undefined
}

/** 429, 5xx and dropped connections are worth retrying; everything else is an answer. */
export function isRetryable(err: unknown): boolean | {afterMs: number} {
  const code = statusCode(err)
  if (code === 429 || code === 500 || code === 502 || code === 503 || code === 504) {
    const after = retryAfterMs(err)
    return after === undefined ? true : {afterMs: after}
  }
  if (code !== undefined) return false
  return connectionCode(err) !== undefined
}

const hostPortOf = (server: string): string => {
  try {
    const u = new URL(server)
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`
  } catch {
    return server
  }
}

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404
export const isConflict = (err: unknown): boolean => statusCode(err) === 409

/** The namespace lbctl was told to work in does not exist: a missing prerequisite, not a missing object. */
export function namespaceMissing(namespace: string, cause?: unknown): LbctlError {
  return new LbctlError(`namespace "${namespace}" does not exist`, {
    code: 'NAMESPACE_MISSING', category: 'missing', cause, details: {namespace},
    hint: 'Install the load balancer first (`lbctl install`, or MetalLB), or use the namespace it runs in.',
  })
}

/** Turn a failed API call into an error a person can act on. */
export function toKubeError(err: unknown, ctx: RequestContext): LbctlError {
  if (err instanceof LbctlError) return err
  const where = `${ctx.resource}${ctx.name ? `/${ctx.name}` : ''}${ctx.namespace ? ` in namespace ${ctx.namespace}` : ''}`
  const ctxName = ctx.context || '(none)'
  const msg = (err as Error)?.message ?? String(err)
  if (/Unrecognized API version and kind|Failed to fetch resource metadata/.test(msg) && (statusCode(err) === 404 || /Unrecognized/.test(msg))) {
    return new LbctlError(`the API server at ${ctx.server} does not serve ${ctx.resource}: the load balancer's CRDs are not installed`, {
      code: 'CRDS_MISSING',
      category: 'missing',
      hint: 'Install them with `lbctl install` (or install MetalLB), then run this again.',
      cause: err,
    })
  }
  const code = statusCode(err)
  const status = statusBody(err)
  const serverMsg = status?.message ? `: ${status.message}` : ''
  switch (code) {
    case 401:
      return new LbctlError(`the API server at ${ctx.server} (context ${ctxName}) rejected our credentials${serverMsg}`, {
        code: 'UNAUTHORIZED', category: 'unreachable', cause: err,
        hint: `Refresh the credentials of context ${ctxName} (check with \`kubectl --context ${ctxName} get ns\`).`,
      })
    case 403:
      return new LbctlError(`forbidden: lbctl needs permission to ${ctx.verb} ${ctx.resource}${ctx.namespace ? ` in namespace ${ctx.namespace}` : ''}${serverMsg}`, {
        code: 'FORBIDDEN', category: 'unreachable', cause: err,
        hint: `Check with \`kubectl auth can-i ${ctx.verb === 'apply' ? 'patch' : ctx.verb} ${ctx.resource}${ctx.namespace ? ` -n ${ctx.namespace}` : ''}\` and ask for that RBAC permission.`,
      })
    case 404: {
      // A write into a namespace that does not exist: the server names the namespace, not the object.
      const ns = status?.details?.kind === 'namespaces' ? status.details.name : /^namespaces "([^"]+)" not found$/.exec(status?.message ?? '')?.[1]
      if (ns && !ctx.resource.startsWith('namespaces')) return namespaceMissing(ns, err)
      return new LbctlError(`${where} not found`, {code: 'NOT_FOUND', category: 'bad-input', cause: err, hint: `List what exists with \`kubectl get ${ctx.resource}${ctx.namespace ? ` -n ${ctx.namespace}` : ' -A'}\`.`})
    }
    case 409:
      return new LbctlError(`${where} was changed by someone else while lbctl worked on it${serverMsg}`, {code: 'CONFLICT', category: 'conflict', cause: err, hint: 'Run the command again: it re-reads the current state first.'})
    case 422:
    case 400: {
      const causes = status?.details?.causes?.map((c) => `${c.field ?? ''}: ${c.message ?? ''}`).join('; ')
      return new LbctlError(`the API server refused ${where}${causes ? `: ${causes}` : serverMsg}`, {code: 'INVALID', category: 'bad-input', cause: err, hint: 'Fix the values named above and run the command again.'})
    }
  }
  const tls = tlsFailure(err)
  if (tls) {
    return new LbctlError(`cannot verify the API server at ${ctx.server} (context ${ctxName}): TLS: ${tls.message} (${tls.code})`, {
      code: 'TLS_FAILED', category: 'unreachable', cause: err,
      hint: `The CA that context ${ctxName} trusts (certificate-authority in a kubeconfig; ca.crt of the service account in a pod) must have signed the server's certificate, for the name or address dialled. Compare with \`openssl s_client -connect ${hostPortOf(ctx.server)} -showcerts\`.`,
    })
  }
  const conn = connectionCode(err)
  if (conn || (code !== undefined && code >= 500) || code === 429) {
    return new LbctlError(`cannot reach the API server at ${ctx.server} (context ${ctxName}): ${conn ?? `HTTP ${code}${serverMsg}`}`, {
      code: 'UNREACHABLE', category: 'unreachable', cause: err,
      hint: `Check that the cluster is up (\`kubectl --context ${ctxName} cluster-info\`), or choose another cluster.`,
    })
  }
  if ((err as {name?: string})?.name === 'KubeTimeout') {
    return new LbctlError(`the API server at ${ctx.server} did not answer ${ctx.verb} ${where} in time`, {code: 'TIMEOUT', category: 'unreachable', cause: err, hint: `Check the cluster's health (\`kubectl --context ${ctxName} get --raw /readyz\`) and run the command again.`})
  }
  const odd = notKubernetes(err, msg, status)
  if (odd) {
    return new LbctlError(`the server at ${ctx.server} (context ${ctxName}) does not answer like a Kubernetes API server: ${odd}`, {
      code: 'NOT_KUBERNETES', category: 'unreachable', cause: err,
      hint: `Check the server address of context ${ctxName} (\`kubectl config view --minify\`); \`kubectl --context ${ctxName} get --raw /version\` shows what answers there.`,
    })
  }
  if (/HTTP protocol is not allowed when skipTLSVerify/.test(msg)) {
    return new LbctlError(`context ${ctxName} points at ${ctx.server}, a plain http:// address, without insecure-skip-tls-verify`, {
      code: 'KUBECONFIG_PLAIN_HTTP', category: 'bad-input', cause: err,
      hint: 'Use the https:// address of the API server; for a local test server only, set insecure-skip-tls-verify: true on that cluster.',
    })
  }
  if (ctx.execCommand && code === undefined) {
    return new LbctlError(`the credential plugin of context ${ctxName} (${ctx.execCommand}) failed: ${msg.replace(/^Failed to fetch resource metadata for [^:]+: /, '').trim()}`, {
      code: 'AUTH_PLUGIN_FAILED', category: 'unreachable', cause: err,
      hint: `Run the plugin by hand to see why (its command and args are under users[].user.exec in \`kubectl config view --minify\`), e.g. log in again.`,
    })
  }
  return new LbctlError(`${ctx.verb} ${where} failed${code ? ` (HTTP ${code})` : ''}: ${status?.message ?? msg}`, {code: 'API_ERROR', category: 'bug', cause: err, hint: 'Run again with LBCTL_DEBUG=1 to see the full error and where it came from.'})
}

/**
 * Why an answer cannot have come from a Kubernetes API server, in words, or undefined: it did not speak HTTP, sent a
 * body that is not JSON (an HTML page), JSON that is not an API object, or an HTTP error without a Status object
 * (every kube-apiserver error is one).
 */
function notKubernetes(err: unknown, msg: string, status: ReturnType<typeof statusBody>): string | undefined {
  if (/Parse Error|HPE_/.test(msg)) return 'it does not speak HTTP'
  if (/is not valid JSON|Unexpected token|JSON at position/.test(msg) || (err as {name?: string})?.name === 'SyntaxError') return 'its answer is not JSON (an HTML page, or another service)'
  if (/Cannot read properties of (undefined|null)/.test(msg) && /resource metadata/.test(msg)) return 'its discovery answer is JSON but not an API resource list'
  const code = statusCode(err)
  const body = (err as {body?: unknown})?.body
  const isStatus = !!body && typeof body === 'object' && (body as {kind?: string}).kind === 'Status'
  if (code !== undefined && code >= 400 && !isStatus && !status?.reason) return `HTTP ${code} without a Kubernetes Status object`
  return undefined
}
