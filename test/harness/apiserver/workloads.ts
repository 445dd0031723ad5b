/**
 * Stand-ins for the kubelet and the workload controllers: Deployment and DaemonSet status follows the spec after a
 * delay, the scale subresource, and pods/proxy forwarding to a pod's IP.
 */
import http, {type IncomingMessage, type ServerResponse} from 'node:http'
import {timestamp, type Api, type Outcome, type WriteOptions} from './api.js'
import {ApiError, badRequest, methodNotAllowed, notFound, staleConflict} from './errors.js'
import {deepEqual, isObject, jsonPatch, mergePatch} from './patch.js'
import {grKey, type ResourceType} from './registry.js'
import {clone, type StoreEvent} from './store.js'

const WORKLOADS = ['deployments.apps', 'daemonsets.apps']

export interface PodRegistration {
  ip: string
  nodeName?: string
  labels?: Record<string, string>
  ports?: Array<{name?: string; containerPort: number}>
}

export class Workloads {
  private timers = new Map<string, NodeJS.Timeout>()
  private unsubscribe: () => void

  constructor(
    private api: Api,
    /** Delay before ready counts follow the spec; negative turns progression off. */
    public readyDelayMs: number,
  ) {
    this.unsubscribe = api.store.subscribe((ev) => this.onEvent(ev))
  }

  close(): void {
    this.unsubscribe()
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
  }

  private onEvent(ev: StoreEvent): void {
    if (ev.gr === 'nodes') for (const ds of this.api.store.list('daemonsets.apps')) this.schedule('daemonsets.apps', ds)
    if (!WORKLOADS.includes(ev.gr)) return
    const key = `${ev.gr}/${ev.obj.metadata.namespace}/${ev.obj.metadata.name}`
    if (ev.type === 'DELETED') {
      clearTimeout(this.timers.get(key))
      this.timers.delete(key)
    } else this.schedule(ev.gr, ev.obj)
  }

  private schedule(gr: string, obj: any): void {
    if (this.readyDelayMs < 0 || obj.metadata.deletionTimestamp) return
    const key = `${gr}/${obj.metadata.namespace}/${obj.metadata.name}`
    if (this.timers.has(key) || deepEqual(this.desired(gr, obj), obj.status ?? {})) return
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key)
        const cur = this.api.store.get(gr, obj.metadata.namespace, obj.metadata.name)
        if (!cur) return
        const status = this.desired(gr, cur)
        if (deepEqual(status, cur.status ?? {})) return
        const rt = this.api.registry.versionsOf(gr)[0]
        this.api.commit(rt, 'MODIFIED', {...clone(cur), status})
      }, this.readyDelayMs),
    )
  }

  private desired(gr: string, obj: any): any {
    const gen = obj.metadata.generation ?? 1
    const cond = (type: string, reason: string, message: string) => ({
      type,
      status: 'True',
      lastUpdateTime: obj.status?.conditions?.find((c: any) => c.type === type)?.lastUpdateTime ?? timestamp(),
      lastTransitionTime: obj.status?.conditions?.find((c: any) => c.type === type)?.lastTransitionTime ?? timestamp(),
      reason,
      message,
    })
    if (gr === 'deployments.apps') {
      const n = obj.spec?.replicas ?? 1
      const counts = n > 0 ? {replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n} : {}
      return {
        observedGeneration: gen,
        ...counts,
        conditions: [
          cond('Available', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
          cond('Progressing', 'NewReplicaSetAvailable', `ReplicaSet "${obj.metadata.name}" has successfully progressed.`),
        ],
      }
    }
    const selector: Record<string, string> = obj.spec?.template?.spec?.nodeSelector ?? {}
    const nodes = this.api.store.list('nodes').filter((n) => Object.entries(selector).every(([k, v]) => n.metadata.labels?.[k] === v))
    const n = nodes.length
    return {
      currentNumberScheduled: n,
      desiredNumberScheduled: n,
      numberMisscheduled: 0,
      numberReady: n,
      observedGeneration: gen,
      ...(n > 0 ? {numberAvailable: n, updatedNumberScheduled: n} : {}),
    }
  }

  /** Create or update a Running, Ready pod with an IP (what the kubelet would report). */
  registerPod(ns: string, name: string, reg: PodRegistration): any {
    const old = this.api.store.get('pods', ns, name)
    const pod = old
      ? clone(old)
      : {apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: ns}, spec: {containers: [{name: 'main', image: 'lbctl:dev'}]}}
    if (reg.labels) pod.metadata.labels = {...pod.metadata.labels, ...reg.labels}
    if (reg.nodeName) pod.spec.nodeName = reg.nodeName
    if (reg.ports) pod.spec.containers[0].ports = reg.ports.map((p) => ({...p, protocol: 'TCP'}))
    pod.status = {
      phase: 'Running',
      podIP: reg.ip,
      podIPs: [{ip: reg.ip}],
      hostIP: reg.ip,
      conditions: [{type: 'Ready', status: 'True', lastTransitionTime: timestamp()}],
    }
    return this.api.put(pod)
  }

  scale(method: string, rt: ResourceType, ns: string | undefined, name: string, body: any, contentType: string, raw: string, opts: WriteOptions): Outcome {
    const obj = this.api.store.get(grKey(rt), ns, name)
    if (!obj) throw notFound(rt, name)
    const sel = obj.spec?.selector?.matchLabels ?? {}
    const scale = {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {name, namespace: ns, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp},
      spec: {replicas: obj.spec?.replicas ?? 0},
      status: {replicas: obj.status?.replicas ?? 0, selector: Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',')},
    }
    if (method === 'GET') return {obj: scale, code: 200, warnings: []}
    let next: any
    if (method === 'PUT') next = body
    else if (method === 'PATCH') {
      const ct = contentType.split(';')[0].trim()
      const patch = JSON.parse(raw)
      next = ct === 'application/json-patch+json' ? jsonPatch(scale, patch) : mergePatch(scale, patch)
    } else throw methodNotAllowed()
    if (!isObject(next) || !Number.isInteger((next as any).spec?.replicas)) throw badRequest('spec.replicas must be an integer')
    const rv = (next as any).metadata?.resourceVersion
    if (rv && rv !== obj.metadata.resourceVersion) throw staleConflict(rt, name)
    const updated = clone(obj)
    updated.spec.replicas = (next as any).spec.replicas
    delete updated.metadata.resourceVersion
    const out = this.api.update(rt, ns, name, updated, opts)
    return {obj: {...scale, metadata: {...scale.metadata, resourceVersion: out.obj.metadata.resourceVersion}, spec: {replicas: out.obj.spec.replicas}}, code: 200, warnings: out.warnings}
  }

  /** pods/<name>[:<port>]/proxy/<path>: forwards to the pod's IP, as the apiserver does. */
  proxy(req: IncomingMessage, res: ServerResponse, rt: ResourceType, ns: string | undefined, nameSpec: string, rest: string[], raw: string): void {
    const parts = nameSpec.split(':')
    const [name, portSpec] = parts.length === 3 ? [parts[1], parts[2]] : [parts[0], parts[1]]
    const pod = this.api.store.get(grKey(rt), ns, name)
    if (!pod) throw notFound(rt, name)
    const ip = pod.status?.podIP
    if (!ip) throw new ApiError(503, 'ServiceUnavailable', `pod ${name} has no IP address`)
    const ports: any[] = (pod.spec?.containers ?? []).flatMap((c: any) => c.ports ?? [])
    const port = portSpec === undefined ? (ports[0]?.containerPort ?? 80) : /^\d+$/.test(portSpec) ? Number(portSpec) : ports.find((p) => p.name === portSpec)?.containerPort
    if (!port) throw badRequest(`no such port ${portSpec} on pod ${name}`)
    const search = new URL(req.url ?? '/', 'http://x').search
    const headers = {...req.headers}
    delete headers.host
    delete headers.authorization
    delete headers['content-length']
    const up = http.request({host: ip, port, method: req.method, path: `/${rest.join('/')}${search}`, headers}, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers)
      r.pipe(res)
    })
    up.on('error', (e) => {
      const err = new ApiError(503, 'ServiceUnavailable', `error trying to reach service: ${e.message}`)
      if (!res.headersSent) {
        const body = JSON.stringify(err.toStatus())
        res.writeHead(503, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)})
        res.end(body)
      } else res.destroy()
    })
    up.end(raw)
  }
}
