/** Shared by the harness's own tests: a server with a kubeconfig on disk, real clients, raw HTTP, polling. */
import {mkdtemp, rm} from 'node:fs/promises'
import https from 'node:https'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi} from '@kubernetes/client-node'
import {poll} from '../poll.js'
import {startApiServer, type ApiServer, type ApiServerOptions} from './index.js'

export interface Harness {
  server: ApiServer
  kc: KubeConfig
  kubeconfigPath: string
  dir: string
  core: CoreV1Api
  apps: AppsV1Api
  objects: KubernetesObjectApi
  close(): Promise<void>
}

export async function harness(opts: ApiServerOptions = {}): Promise<Harness> {
  const server = await startApiServer(opts)
  const dir = await mkdtemp(join(tmpdir(), 'lbctl-apiserver-'))
  const kubeconfigPath = join(dir, 'kubeconfig')
  await server.writeKubeconfig(kubeconfigPath)
  const kc = new KubeConfig()
  kc.loadFromFile(kubeconfigPath)
  return {
    server,
    kc,
    kubeconfigPath,
    dir,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    objects: KubernetesObjectApi.makeApiClient(kc),
    async close() {
      await server.stop()
      await rm(dir, {recursive: true, force: true})
    },
  }
}

export interface RawResponse {
  status: number
  headers: Headers
  body: any
  text: string
}

/** One HTTP request with the kubeconfig's token; the body is JSON unless it is a string. */
export async function raw(
  server: ApiServer,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const h: Record<string, string> = {Authorization: 'Bearer lbctl-harness-token', Accept: 'application/json', ...headers}
  if (body !== undefined && !h['Content-Type']) h['Content-Type'] = 'application/json'
  const res = await fetch(server.url + path, {method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)})
  const text = await res.text()
  let parsed: any = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON
  }
  return {status: res.status, headers: res.headers, body: parsed, text}
}

/** One HTTPS request trusting `ca` (fetch cannot be given a CA), with a bearer token when one is given. */
export function tlsRequest(url: string, o: {ca?: string; token?: string; method?: string; servername?: string} = {}): Promise<{status: number; body: any; text: string}> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {accept: 'application/json'}
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`
    const req = https.request(url, {method: o.method ?? 'GET', headers, ca: o.ca, servername: o.servername, agent: false}, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => {
        let body: any = text
        try {
          body = JSON.parse(text)
        } catch {
          // not JSON
        }
        resolve({status: res.statusCode ?? 0, body, text})
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** Poll until `fn` returns a truthy value (returned) or the deadline passes (throws with the last value seen). */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  return poll(fn, {timeoutMs, what, intervalMs: 10, retryErrors: false})
}

/** A watch stream read line by line with plain fetch. */
export interface RawWatch {
  events: any[]
  ended: Promise<void>
  status: number
  close(): void
}

export async function rawWatch(server: ApiServer, path: string): Promise<RawWatch> {
  const ac = new AbortController()
  const res = await fetch(server.url + path, {headers: {Authorization: 'Bearer lbctl-harness-token'}, signal: ac.signal})
  const events: any[] = []
  const decoder = new TextDecoder()
  let buf = ''
  const ended = (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, {stream: true})
        let i: number
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i)
          buf = buf.slice(i + 1)
          if (line.trim()) events.push(JSON.parse(line))
        }
      }
    } catch {
      // aborted or reset
    }
  })()
  return {events, ended, status: res.status, close: () => ac.abort()}
}

export const CRD_POOL = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: {name: 'ipaddresspools.metallb.io'},
  spec: {
    group: 'metallb.io',
    names: {kind: 'IPAddressPool', listKind: 'IPAddressPoolList', plural: 'ipaddresspools', singular: 'ipaddresspool'},
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1beta1',
        served: true,
        storage: true,
        subresources: {status: {}},
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['addresses'],
                properties: {
                  addresses: {type: 'array', minItems: 1, items: {type: 'string', pattern: '^[0-9a-fA-F.:/-]+$'}},
                  autoAssign: {type: 'boolean', default: true},
                  avoidBuggyIPs: {type: 'boolean', default: false},
                  serviceAllocation: {
                    type: 'object',
                    properties: {
                      priority: {type: 'integer', format: 'int32', minimum: 0},
                      namespaces: {type: 'array', items: {type: 'string'}, 'x-kubernetes-list-type': 'set'},
                    },
                  },
                },
              },
              status: {
                type: 'object',
                properties: {assignedIPv4: {type: 'integer', format: 'int64'}, availableIPv4: {type: 'integer', format: 'int64'}},
              },
            },
          },
        },
      },
    ],
  },
}

/** A cluster-scoped CRD without a status subresource, served in two versions. */
export const CRD_WIDGET = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: {name: 'widgets.example.com'},
  spec: {
    group: 'example.com',
    names: {kind: 'Widget', plural: 'widgets', singular: 'widget', shortNames: ['wd']},
    scope: 'Cluster',
    versions: [
      {name: 'v1alpha1', served: true, storage: false, schema: {openAPIV3Schema: {type: 'object', 'x-kubernetes-preserve-unknown-fields': true}}},
      {name: 'v1', served: true, storage: true, schema: {openAPIV3Schema: {type: 'object', 'x-kubernetes-preserve-unknown-fields': true}}},
    ],
  },
}

export const pool = (name: string, spec: Record<string, unknown> = {addresses: ['203.0.113.0/24']}, ns = 'default') => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'IPAddressPool',
  metadata: {name, namespace: ns},
  spec,
})
