// Pre-flight for --image-registry: does the registry answer the registry API (GET /v2/, the OCI distribution spec's
// "end-1"), and does it hold the tags install would deploy (HEAD /v2/<name>/manifests/<tag>, "end-3")? Checked from
// the machine running lbctl, which may not see what the cluster's nodes see: --skip-registry-check says so.
import {missing} from '../errors.js'

export interface RegistryCheckOptions {
  /** --insecure-registry: fall back to plain HTTP (a loopback registry falls back without it). */
  insecure: boolean
  timeoutMs?: number
  fetch?: typeof fetch
}

export interface RegistryCheck {
  /** The base URL that answered. */
  url: string
  /** Tags that could not be looked at (the registry wants credentials lbctl does not have): warnings, not errors. */
  warnings: string[]
}

/** The accepted manifest media types (an image index or a single-platform manifest, OCI or Docker). */
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/

/** `host[:port]/path/name:tag` → its parts (the registry host is the part before the first slash). */
export function splitImage(image: string): {host: string; name: string; tag: string} {
  const slash = image.indexOf('/')
  const colon = image.lastIndexOf(':')
  return {host: image.slice(0, slash), name: image.slice(slash + 1, colon), tag: image.slice(colon + 1)}
}

/** Throws (category missing, exit 5) when the registry does not answer or lacks an image; nothing has been written. */
export async function checkRegistry(images: string[], o: RegistryCheckOptions): Promise<RegistryCheck> {
  const doFetch = o.fetch ?? fetch
  const timeoutMs = o.timeoutMs ?? 5000
  const {host} = splitImage(images[0])
  const schemes = LOOPBACK.test(host) || o.insecure ? ['https', 'http'] : ['https']
  const tried: string[] = []
  let base: string | undefined
  for (const scheme of schemes) {
    const url = `${scheme}://${host}`
    try {
      const r = await doFetch(`${url}/v2/`, {signal: AbortSignal.timeout(timeoutMs), redirect: 'manual'})
      // 200: open; 401: answers and wants credentials. Anything else is not a registry API.
      if (r.status === 200 || r.status === 401) {
        base = url
        break
      }
      tried.push(`${url}/v2/ answered HTTP ${r.status}`)
    } catch (err) {
      const cause = (err as {cause?: {code?: string; message?: string}}).cause
      tried.push(`${url}/v2/: ${cause?.code ?? cause?.message ?? (err as Error).message}`)
    }
  }
  if (!base) {
    const http = schemes.includes('http') ? '' : ' A registry serving plain HTTP needs --insecure-registry.'
    throw missing('REGISTRY_UNREACHABLE', `the image registry ${host} does not answer the registry API (${tried.join('; ')})`,
      `Check --image-registry (host[:port]/path) and that this machine reaches it.${http} If only the cluster's nodes can reach it, pass --skip-registry-check.`, {registry: host, tried})
  }
  const warnings: string[] = []
  const absent: string[] = []
  await Promise.all(images.map(async (image) => {
    const {name, tag} = splitImage(image)
    let status: number
    try {
      status = (await doFetch(`${base}/v2/${name}/manifests/${tag}`, {method: 'HEAD', headers: {Accept: ACCEPT}, signal: AbortSignal.timeout(timeoutMs)})).status
    } catch (err) {
      throw missing('REGISTRY_UNREACHABLE', `the image registry ${host} stopped answering while looking for ${image}: ${(err as Error).message}`,
        'Try again; if only the cluster\'s nodes can reach the registry, pass --skip-registry-check.')
    }
    if (status === 200) return
    if (status === 401 || status === 403) warnings.push(`cannot check that ${image} exists: the registry wants credentials (HTTP ${status}); the nodes must have them (imagePullSecrets)`)
    else absent.push(`${image} (HTTP ${status})`)
  }))
  if (absent.length > 0) {
    throw missing('IMAGE_NOT_FOUND', `the image registry ${host} does not hold ${absent.join(', ')}`,
      'Push the images first (`npm run images -- --push REGISTRY` in lbctl\'s source), or pick the --version that is there.', {missing: absent})
  }
  return {url: base, warnings}
}
