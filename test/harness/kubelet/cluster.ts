// What the kubelet stand-in knows of the cluster, as a kubelet and the controller-manager know it: list + watch over
// HTTPS with a bearer token (the project's own transport, src/lib/kube RestKube, and its Informer: resourceVersion,
// re-watch from the last version seen, a fresh list on 410 Gone or a watch ERROR), and every write over HTTP: Pods
// created and deleted, their status and the workloads' status through the status subresource.
import {BuiltinKinds, Kinds as ApiKinds} from '../../../src/lib/api/constants.js'
import {Informer} from '../../../src/lib/kube/informer.js'
import {loadRestTarget, RestKube} from '../../../src/lib/kube/rest.js'

export const Kinds = {
  DaemonSet: BuiltinKinds.DaemonSet, Deployment: BuiltinKinds.Deployment, Pod: BuiltinKinds.Pod, Secret: BuiltinKinds.Secret,
  ConfigMap: ApiKinds.ConfigMap, Node: ApiKinds.Node,
} as const

type Watched = keyof typeof Kinds

export class ClusterView {
  readonly kube: RestKube
  readonly informers: Record<Watched, Informer<any>>
  private changed?: () => void
  private lastError?: string

  /** `kubeconfig`: the stand-in's credentials (a token) and the API server's address and CA. */
  constructor(kubeconfig: string, readonly namespace: string, onError?: (what: string, err: unknown) => void) {
    const target = loadRestTarget({kubeconfig})
    if (!target) throw new Error(`kubelet stand-in: cannot read ${kubeconfig} (a token kubeconfig is needed)`)
    this.kube = new RestKube(target, {fieldManager: 'kubelet', attempts: 3, timeoutMs: 15_000})
    const inf = (k: Watched, namespaced = true) => new Informer<any>(this.kube, Kinds[k], {namespace: namespaced ? namespace : undefined, timeoutSeconds: 60,
      backoff: {baseMs: 100, maxMs: 2000}, onError: (err, phase) => {
        this.lastError = `${k} ${phase}: ${(err as Error)?.message ?? err}`
        onError?.(`${k} ${phase}`, err)
      }}).on(() => this.changed?.())
    this.informers = {DaemonSet: inf('DaemonSet'), Deployment: inf('Deployment'), Pod: inf('Pod'), Secret: inf('Secret'), ConfigMap: inf('ConfigMap'), Node: inf('Node', false)}
  }

  /** Start every list + watch; resolves once each has listed (fails after timeoutMs naming those that have not). */
  async start(changed: () => void, timeoutMs = 30_000): Promise<void> {
    this.changed = changed
    for (const i of Object.values(this.informers)) void i.run()
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const kinds = Object.entries(this.informers).filter(([, i]) => !i.synced).map(([k]) => k)
        this.stop()
        reject(new Error(`kubelet stand-in: no list of ${kinds.join(', ')} from ${this.kube.server} in ${timeoutMs / 1000} s (${this.lastError ?? 'no error'})`))
      }, timeoutMs)
    })
    try {
      await Promise.race([Promise.all(Object.values(this.informers).map((i) => i.waitSynced())), late])
    } finally {
      clearTimeout(timer)
    }
  }

  stop(): void {
    for (const i of Object.values(this.informers)) i.stop()
  }

  list(k: Watched): any[] {
    return [...this.informers[k].cache.values()]
  }

  get(k: Watched, name: string): any {
    return this.informers[k].cache.get(`${k === 'Node' ? '' : this.namespace}/${name}`)
  }

  /** How many times each kind was listed (1 after the start; more after a 410 or a dropped stream that needed it). */
  lists(): Record<Watched, number> {
    return Object.fromEntries(Object.entries(this.informers).map(([k, i]) => [k, i.lists])) as Record<Watched, number>
  }

  async createPod(pod: any): Promise<any> {
    const created = await this.kube.create(pod)
    this.informers.Pod.observe(created)
    return created
  }

  async deletePod(name: string): Promise<void> {
    await this.kube.delete(Kinds.Pod, name, this.namespace)
  }

  /** Merge the status into the object's status subresource (a Pod's or a workload's). */
  async patchStatus(k: 'Pod' | 'DaemonSet' | 'Deployment', name: string, status: unknown): Promise<void> {
    const after = await this.kube.mergePatch(Kinds[k], name, this.namespace, {status}, {subresource: 'status'})
    this.informers[k].observe(after)
  }
}
