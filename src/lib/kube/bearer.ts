import type {Kube} from './client.js'

/**
 * The bearer token the kubeconfig's user presents (a static token, a token file, or what an exec plugin returns), for
 * endpoints that authenticate callers with a TokenReview (the speaker's diagnostics endpoint). Undefined for users
 * that authenticate otherwise (client certificates).
 */
export async function bearerToken(kube: Kube): Promise<string | undefined> {
  const opts: {headers?: Record<string, string>} = {headers: {}}
  await kube.config.kc.applyToHTTPSOptions(opts as never)
  const h = opts.headers?.Authorization ?? opts.headers?.authorization
  const m = typeof h === 'string' ? /^Bearer\s+(.+)$/i.exec(h) : null
  return m ? m[1] : undefined
}
