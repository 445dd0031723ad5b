// Who may use the diagnostics endpoint, as kube-rbac-proxy decides: the bearer token is authenticated with a
// TokenReview, then the user is authorized with a SubjectAccessReview for `get` on `speakers/diagnostics` in group
// lbctl.io in the speaker's namespace. Answers are cached briefly (per token hash) so a burst costs two API calls.
import {createHash} from 'node:crypto'
import type {KubeApi} from '../../lib/kube/rest.js'

export type AuthResult = {ok: true; user: string} | {ok: false; status: 401 | 403; message: string}

export type Authorizer = (token: string | undefined) => Promise<AuthResult>

export const DIAGNOSTICS_ACCESS = {group: 'lbctl.io', resource: 'speakers', subresource: 'diagnostics', verb: 'get'} as const

interface TokenReview {
  status?: {authenticated?: boolean; user?: {username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]>}; error?: string}
}
interface SubjectAccessReview {
  status?: {allowed?: boolean; denied?: boolean; reason?: string}
}

export function kubeAuthorizer(kube: Pick<KubeApi, 'create'>, namespace: string, opts: {cacheMs?: number; now?: () => number} = {}): Authorizer {
  const cacheMs = opts.cacheMs ?? 10_000
  const now = opts.now ?? Date.now
  const cache = new Map<string, {at: number; r: AuthResult}>()
  return async (token) => {
    if (!token) return {ok: false, status: 401, message: 'a bearer token is required (Authorization: Bearer …)'}
    const key = createHash('sha256').update(token).digest('hex')
    const hit = cache.get(key)
    if (hit && now() - hit.at < cacheMs) return hit.r
    const tr = await kube.create<any>({apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {name: ''}, spec: {token}}) as TokenReview
    let r: AuthResult
    if (!tr.status?.authenticated || !tr.status.user?.username) {
      r = {ok: false, status: 401, message: `the token is not valid${tr.status?.error ? `: ${tr.status.error}` : ''}`}
    } else {
      const u = tr.status.user
      const sar = await kube.create<any>({apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {name: ''},
        spec: {user: u.username, uid: u.uid, groups: u.groups, extra: u.extra, resourceAttributes: {namespace, ...DIAGNOSTICS_ACCESS}}}) as SubjectAccessReview
      r = sar.status?.allowed
        ? {ok: true, user: u.username!}
        : {ok: false, status: 403, message: `${u.username} may not get ${DIAGNOSTICS_ACCESS.resource}/${DIAGNOSTICS_ACCESS.subresource} (group ${DIAGNOSTICS_ACCESS.group}) in namespace ${namespace}${sar.status?.reason ? `: ${sar.status.reason}` : ''}`}
    }
    cache.set(key, {at: now(), r})
    if (cache.size > 1000) for (const [k, v] of cache) if (now() - v.at >= cacheMs) cache.delete(k)
    return r
  }
}
