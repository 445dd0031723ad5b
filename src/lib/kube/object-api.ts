import {ApiException, HttpMethod, KubernetesObjectApi, type KubernetesObject, type V1APIResource} from '@kubernetes/client-node'

/**
 * client-node's generic object API, with two changes lbctl needs: responses stay plain JSON (no model classes, no Date
 * objects — faster for 10,000 services, and what we write back is what we read), and requests to subresources
 * (`/status`) and arbitrary paths go through the same authentication and transport.
 */
export class ObjectApi extends KubernetesObjectApi {
  protected override async processResponse<T extends KubernetesObject>(response: any): Promise<T> {
    const text: string = await response.body.text()
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) {
      // pods/log answers text/plain; everything else is JSON.
      const type = String(response.headers?.['content-type'] ?? '')
      if (type && !/json/i.test(type)) return text as unknown as T
      return (text ? JSON.parse(text) : {}) as T
    }
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON: keep the text
    }
    throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP Request', body, response.headers)
  }

  /** Discovery of one kind (cached by client-node per apiVersion). */
  resourceFor(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    return this.resource(apiVersion, kind)
  }

  /**
   * The URL path of an object (or of its collection when name is empty). Built here rather than by client-node's
   * specUriPath, which lower-cases the whole path: `-n MetalLB-System` must ask for that namespace (and get 404 or a
   * refusal), never silently read metallb-system.
   */
  async pathFor(apiVersion: string, kind: string, namespace: string | undefined, name?: string): Promise<string> {
    const resource = await this.resource(apiVersion, kind)
    if (!resource) {
      // client-node's error for a kind the server does not serve (callers map it to CRDS_MISSING / NOT_FOUND).
      return this.specUriPath({apiVersion, kind, metadata: {name, namespace}} as KubernetesObject, name ? 'read' : 'list')
    }
    if (resource.namespaced && !namespace && name) throw new Error(`Required parameter namespace was null or undefined when calling read on ${kind} ${name}`)
    const parts = [apiVersion.includes('/') ? '/apis' : '/api', apiVersion]
    if (resource.namespaced && namespace) parts.push('namespaces', encodeURIComponent(namespace))
    parts.push(resource.name)
    if (name) parts.push(encodeURIComponent(name))
    return parts.join('/')
  }

  /** Any request through client-node's auth and transport. Body is JSON-encoded unless it is a string. */
  async request<T = unknown>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    opts: {query?: Record<string, string | number | boolean | undefined>; body?: unknown; contentType?: string} = {},
  ): Promise<T> {
    const ctx = this.configuration.baseServer.makeRequestContext(path, HttpMethod[method])
    ctx.setHeaderParam('Accept', 'application/json, */*;q=0.8')
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) ctx.setQueryParam(k, String(v))
    if (opts.body !== undefined) {
      ctx.setHeaderParam('Content-Type', opts.contentType ?? 'application/json')
      ctx.setBody(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body))
    }
    return this.requestPromise(ctx) as Promise<T>
  }
}
