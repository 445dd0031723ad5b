/**
 * The create-only review kinds (SelfSubjectAccessReview, SubjectAccessReview, TokenReview, SelfSubjectReview) and the
 * TokenRequest subresource, answered from the harness's tokens and RBAC model as kube-apiserver answers them.
 */
import type {Outcome} from './api.js'
import {badRequest, invalid, notFound, type Cause} from './errors.js'
import {isObject} from './patch.js'
import {authorize, type Attributes} from './rbac.js'
import {groupVersion, type ResourceType} from './registry.js'
import type {Store} from './store.js'
import {ADMIN, API_AUDIENCE, type TokenAuthority, type UserInfo} from './tokens.js'

export interface ReviewContext {
  store: Store
  tokens: TokenAuthority
  /** Admin (kubeconfig) tokens: system:masters. */
  adminTokens: () => readonly string[]
  /** False: service-account tokens may do everything (RBAC not enforced). */
  enforce: boolean
}

const timestamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

const accessAttributes = (kind: string, spec: any, user: UserInfo): Attributes => {
  const ra = spec?.resourceAttributes
  const nra = spec?.nonResourceAttributes
  if (!!ra === !!nra)
    throw invalid('authorization.k8s.io', kind, '', [{field: 'spec.resourceAttributes', message: `Invalid value: ${ra ? 'object' : '"null"'}: exactly one of nonResourceAttributes or resourceAttributes must be specified`, reason: 'FieldValueInvalid'}])
  if (nra) return {user, verb: String(nra.verb ?? ''), resourceRequest: false, path: String(nra.path ?? '')}
  return {
    user, verb: String(ra.verb ?? ''), resourceRequest: true, namespace: ra.namespace || undefined, group: ra.group ?? '',
    version: ra.version, resource: String(ra.resource ?? ''), subresource: ra.subresource || undefined, name: ra.name || undefined,
  }
}

const decide = (ctx: ReviewContext, a: Attributes): {allowed: boolean; reason?: string} => {
  if (!ctx.enforce && a.user.username.startsWith('system:serviceaccount:')) return {allowed: true, reason: 'RBAC is not enforced by this harness'}
  const d = authorize(ctx.store, a)
  return d.reason ? {allowed: d.allowed, reason: d.reason} : {allowed: d.allowed}
}

/** What a token stands for, for TokenReview (the admin tokens too). */
export const reviewToken = (ctx: ReviewContext, token: string, audiences?: string[]): any => {
  const aud = audiences?.length ? audiences : [API_AUDIENCE]
  if (ctx.adminTokens().includes(token)) {
    if (!aud.includes(API_AUDIENCE)) return {user: {}, error: '[invalid bearer token, token lookup failed]'}
    return {authenticated: true, user: ADMIN, audiences: [API_AUDIENCE]}
  }
  const r = ctx.tokens.authenticate(token, aud)
  if ('error' in r) return {user: {}, error: r.error}
  return {authenticated: true, user: r.user, audiences: r.audiences}
}

const reply = (rt: ResourceType, spec: any, status: any): Outcome => ({
  obj: {apiVersion: groupVersion(rt), kind: rt.kind, metadata: {creationTimestamp: null}, ...(spec === undefined ? {} : {spec}), status},
  code: 201,
  warnings: [],
})

/** POST of a review kind by `user`. */
export const review = (ctx: ReviewContext, rt: ResourceType, body: unknown, user: UserInfo): Outcome => {
  if (!isObject(body)) throw badRequest(`the object provided is unrecognized (must be of type ${rt.kind})`)
  const spec = (body as any).spec ?? {}
  switch (rt.kind) {
    case 'SelfSubjectAccessReview':
      return reply(rt, spec, decide(ctx, accessAttributes(rt.kind, spec, user)))
    case 'SubjectAccessReview': {
      const subject: UserInfo = {username: String(spec.user ?? ''), groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [], uid: spec.uid, extra: spec.extra}
      const causes: Cause[] = []
      if (!subject.username && subject.groups.length === 0)
        causes.push({field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified', reason: 'FieldValueInvalid'})
      if (causes.length) throw invalid('authorization.k8s.io', rt.kind, '', causes)
      return reply(rt, spec, decide(ctx, accessAttributes(rt.kind, spec, subject)))
    }
    case 'TokenReview':
      return reply(rt, spec, reviewToken(ctx, String(spec.token ?? ''), spec.audiences))
    case 'SelfSubjectReview':
      return reply(rt, undefined, {userInfo: user})
    default:
      throw badRequest(`${rt.kind} is not a review kind`)
  }
}

/** POST …/serviceaccounts/NAME/token (TokenRequest). */
export const tokenRequest = (ctx: ReviewContext, ns: string, name: string, body: unknown): Outcome => {
  const sa = ctx.store.get('serviceaccounts', ns, name)
  if (!sa) throw notFound({group: '', plural: 'serviceaccounts'}, name)
  const spec = isObject(body) && isObject((body as any).spec) ? {...(body as any).spec} : {}
  spec.expirationSeconds ??= 3600
  spec.audiences = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences : [API_AUDIENCE]
  spec.boundObjectRef ??= null
  const causes: Cause[] = []
  if (!Number.isInteger(spec.expirationSeconds) || spec.expirationSeconds < 600)
    causes.push({field: 'spec.expirationSeconds', message: `Invalid value: ${spec.expirationSeconds}: may not specify a duration less than 10 minutes`, reason: 'FieldValueInvalid'})
  else if (spec.expirationSeconds > 2 ** 32)
    causes.push({field: 'spec.expirationSeconds', message: `Invalid value: ${spec.expirationSeconds}: may not specify a duration larger than 2^32 seconds`, reason: 'FieldValueInvalid'})
  if (causes.length) throw invalid('authentication.k8s.io', 'TokenRequest', name, causes)
  const ref = spec.boundObjectRef
  let pod: {name: string; uid: string} | undefined
  if (ref?.kind === 'Pod') {
    const p = ctx.store.get('pods', ns, ref.name)
    if (!p || (ref.uid && ref.uid !== p.metadata.uid)) throw notFound({group: '', plural: 'pods'}, ref.name)
    pod = {name: p.metadata.name, uid: p.metadata.uid}
  }
  const {credentialId: _id, ...issued} = ctx.tokens.issue(ns, name, {expirationSeconds: spec.expirationSeconds, audiences: spec.audiences, pod})
  return {
    obj: {
      kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1',
      metadata: {name, namespace: ns, creationTimestamp: timestamp(ctx.tokens.now())},
      spec, status: issued,
    },
    code: 201,
    warnings: [],
  }
}
