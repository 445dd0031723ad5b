/**
 * Who a request is: the admin tokens of the kubeconfig (system:masters), and service-account tokens the harness issues
 * (TokenRequest, `issueToken`, the projected-token writer). Issued tokens are JWTs signed by the harness; each is valid
 * until it expires and while its ServiceAccount (the same uid) exists — as a bound token is.
 */
import {createHmac, randomBytes, randomUUID, timingSafeEqual} from 'node:crypto'

export interface UserInfo {
  username: string
  uid?: string
  groups: string[]
  extra?: Record<string, string[]>
}

export interface IssuedToken {
  token: string
  /** The `authentication.kubernetes.io/credential-id` the token authenticates with (`JTI=…`), as in request records. */
  credentialId: string
  /** RFC 3339, second precision. */
  expirationTimestamp: string
}

interface Claims {
  iss: string
  sub: string
  aud: string[]
  iat: number
  nbf: number
  exp: number
  jti: string
  'kubernetes.io': {namespace: string; serviceaccount: {name: string; uid: string}; pod?: {name: string; uid: string}}
}

/** The audience a token gets when none is asked for, and that the API server itself accepts (its --api-audiences). */
export const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local'
export const ADMIN: UserInfo = {username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated']}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url')
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

export const serviceAccountUser = (namespace: string, name: string, uid?: string): UserInfo => ({
  username: `system:serviceaccount:${namespace}:${name}`,
  ...(uid ? {uid} : {}),
  groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
})

export class TokenAuthority {
  private key = randomBytes(32)
  /** Milliseconds added to the wall clock for token lifetimes (tests move time on instead of waiting). */
  private offsetMs = 0

  constructor(private serviceAccountUid: (namespace: string, name: string) => string | undefined) {}

  now(): number {
    return Date.now() + this.offsetMs
  }

  advance(ms: number): void {
    this.offsetMs += ms
  }

  issue(namespace: string, name: string, o: {expirationSeconds?: number; audiences?: string[]; pod?: {name: string; uid: string}} = {}): IssuedToken {
    const uid = this.serviceAccountUid(namespace, name)
    if (!uid) throw new Error(`serviceaccounts "${name}" not found in namespace "${namespace}"`)
    const iat = Math.floor(this.now() / 1000)
    const exp = iat + (o.expirationSeconds ?? 3600)
    const claims: Claims = {
      iss: API_AUDIENCE, sub: `system:serviceaccount:${namespace}:${name}`, aud: o.audiences?.length ? o.audiences : [API_AUDIENCE],
      iat, nbf: iat, exp, jti: randomUUID(),
      'kubernetes.io': {namespace, serviceaccount: {name, uid}, ...(o.pod ? {pod: o.pod} : {})},
    }
    const head = `${b64url(JSON.stringify({alg: 'HS256', kid: 'lbctl-harness'}))}.${b64url(JSON.stringify(claims))}`
    return {token: `${head}.${b64url(createHmac('sha256', this.key).update(head).digest())}`, credentialId: `JTI=${claims.jti}`, expirationTimestamp: rfc3339(exp * 1000)}
  }

  /** The user a token issued here stands for, or why it does not stand for one. */
  authenticate(token: string, audiences: string[] = [API_AUDIENCE]): {user: UserInfo; audiences: string[]} | {error: string} {
    const parts = token.split('.')
    if (parts.length !== 3) return {error: 'invalid bearer token'}
    const sig = Buffer.from(parts[2], 'base64url')
    const want = createHmac('sha256', this.key).update(`${parts[0]}.${parts[1]}`).digest()
    if (sig.length !== want.length || !timingSafeEqual(sig, want)) return {error: 'invalid bearer token'}
    const c = JSON.parse(Buffer.from(parts[1], 'base64url').toString()) as Claims
    if (this.now() / 1000 >= c.exp) return {error: 'invalid bearer token, service account token has expired'}
    const aud = c.aud.filter((a) => audiences.includes(a))
    if (aud.length === 0) return {error: 'invalid bearer token, token audiences ' + JSON.stringify(c.aud) + ' is invalid for the target audiences ' + JSON.stringify(audiences)}
    const sa = c['kubernetes.io'].serviceaccount
    const ns = c['kubernetes.io'].namespace
    if (this.serviceAccountUid(ns, sa.name) !== sa.uid)
      return {error: `invalid bearer token, service account ${ns}/${sa.name} has been deleted`}
    const user = serviceAccountUser(ns, sa.name, sa.uid)
    user.extra = {'authentication.kubernetes.io/credential-id': [`JTI=${c.jti}`]}
    return {user, audiences: aud}
  }
}
