// The kubelet stand-in (TESTING.md §3; test harness, not product): for the lab's node namespaces it follows the
// harness's DaemonSets and Deployments in one namespace and runs their pods as podman containers of the built images.
// Each pod gets a Pod object in the harness (template labels, nodeName, podIP), a service-account token the harness
// issues for its ServiceAccount (so RBAC applies), its Secret volumes, and Ready from its readiness probe (HTTP GET
// from the pod's network namespace). Workload status (ready/updated counts, observedGeneration) follows the pods, so
// `install --wait` waits on real processes; the harness's own delayed ready counts must be off
// (workloadReadyDelayMs < 0). Template changes roll: a DaemonSet one node at a time (maxUnavailable 1), a Deployment
// new pod first, then the old one goes. Level-triggered: every tick compares the harness with the containers.
import {type ChildProcess, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chownSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {execa} from 'execa'
import {type ApiServer, projectServiceAccountToken, type ProjectedToken} from '../apiserver/index.js'
import {sh} from '../lab/netns.js'
import {containerEnv, type Placement, podmanRunArgs, podObject, probePort, selects, templateHash} from './pods.js'

export interface KubeletNode {
  name: string
  /** Network namespace of the node (hostNetwork pods join it). */
  netns: string
  ip: string
}

export interface KubeletOptions {
  server: ApiServer
  namespace: string
  nodes: KubeletNode[]
  /** Network namespaces with an address each, for pods without hostNetwork (one pod per slot). */
  podNetworks: Array<{netns: string; ip: string}>
  /** KUBERNETES_SERVICE_HOST/PORT as the pods see the API server (an address in its TLS certificate). */
  api: {host: string; port: number}
  /** Where tokens and Secret volumes are written (one folder per pod). */
  dir: string
  /** podman flags for this machine (`--runtime runc --ulimit …`). */
  runFlags: string[]
  tickMs?: number
  /** How often a Running pod's readiness probe runs (the manifests' periodSeconds, shortened for tests). */
  probeMs?: number
  log?: (event: string, fields: Record<string, unknown>) => void
}

type Kind = 'DaemonSet' | 'Deployment'

interface RunningPod {
  kind: Kind
  owner: string
  hash: string
  name: string
  container: string
  placement: Placement
  slot?: string
  token?: ProjectedToken
  /** `podman logs -f`, feeding the harness's pods/log. */
  logs?: ChildProcess
  ready: boolean
  /** Consecutive failed probes (Ready turns False after the probe's failureThreshold of them, as the kubelet's). */
  failures: number
  restarts: number
  lastProbe: number
  lastRestart: number
  /** Why the container is not running (CreateContainerError …), if it is not. */
  waiting?: string
  /** Whether the Pod object is being deleted (the container is stopping). */
  terminating?: boolean
}

const LABEL = 'lbctl-kubelet'
const PID_LABEL = 'lbctl-kubelet-pid'

/** Remove containers a stand-in left behind when its process died (killed test runs): their pid is gone. */
export async function removeStaleContainers(): Promise<string[]> {
  const r = await execa('podman', ['ps', '-a', '--filter', `label=${PID_LABEL}`, '--format', 'json'], {reject: false})
  const stale = (r.exitCode === 0 ? JSON.parse(r.stdout || '[]') as Array<{Names: string[]; Labels: Record<string, string>}> : [])
    .filter((c) => {
      try {
        process.kill(Number(c.Labels[PID_LABEL]), 0)
        return false
      } catch {
        return true
      }
    }).map((c) => c.Names[0])
  if (stale.length) await execa('podman', ['rm', '-f', '-t', '0', ...stale], {reject: false})
  return stale
}

export class Kubelet {
  readonly id = randomBytes(4).toString('hex')
  private readonly pods = new Map<string, RunningPod>()
  private timer?: NodeJS.Timeout
  private ticking?: Promise<void>
  private stopped = false
  /** Every pod started, in order (for tests: how many replacements a rollout made). */
  readonly started: Array<{name: string; kind: Kind; hash: string; node: string}> = []

  constructor(private readonly o: KubeletOptions) {
    mkdirSync(o.dir, {recursive: true})
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return
      this.ticking = this.tick().catch((e) => this.log('tick failed', {error: String(e?.message ?? e)})).finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.o.tickMs ?? 200)
      })
    }
    loop()
  }

  /** Stop following the harness and remove every container this stand-in started. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.ticking
    await Promise.all([...this.pods.values()].map((p) => this.kill(p, 0)))
    await execa('podman', ['rm', '-f', '-t', '0', '--filter', `label=${LABEL}=${this.id}`], {reject: false})
  }

  /** The containers of this stand-in, as podman lists them (name, state, labels). */
  async containers(): Promise<Array<{Names: string[]; State: string; Labels: Record<string, string>}>> {
    const r = await execa('podman', ['ps', '-a', '--filter', `label=${LABEL}=${this.id}`, '--format', 'json'], {reject: false})
    return r.exitCode === 0 ? JSON.parse(r.stdout || '[]') : []
  }

  /** The container running a pod now (for tests that inspect it). */
  containerOf(podName: string): string | undefined {
    return [...this.pods.values()].find((p) => p.name === podName)?.container
  }

  private log(event: string, fields: Record<string, unknown> = {}): void {
    this.o.log?.(event, fields)
  }

  private get store() {
    return this.o.server.store
  }

  private async tick(): Promise<void> {
    const ns = this.o.namespace
    const nodes = this.store.list('v1', 'Node')
    const owners = new Map<string, {kind: Kind; obj: any}>()
    for (const ds of this.store.list('apps/v1', 'DaemonSet')) if (ds.metadata.namespace === ns) owners.set(`DaemonSet/${ds.metadata.name}`, {kind: 'DaemonSet', obj: ds})
    for (const d of this.store.list('apps/v1', 'Deployment')) if (d.metadata.namespace === ns) owners.set(`Deployment/${d.metadata.name}`, {kind: 'Deployment', obj: d})

    // Pods whose owner is gone, or whose Pod object someone deleted, stop.
    for (const p of this.pods.values()) {
      const gone = !owners.has(`${p.kind}/${p.owner}`) || !this.store.get('v1', 'Pod', ns, p.name)
      if (gone && !p.terminating) await this.remove(p)
    }
    await this.observe()
    for (const [key, {kind, obj}] of owners) {
      const pods = [...this.pods.values()].filter((p) => `${p.kind}/${p.owner}` === key && !p.terminating)
      const hash = templateHash(obj.spec?.template)
      if (kind === 'DaemonSet') await this.rollDaemonSet(obj, pods, hash, nodes)
      else await this.rollDeployment(obj, pods, hash)
      this.writeWorkloadStatus(kind, obj.metadata.name, nodes)
    }
  }

  private async rollDaemonSet(ds: any, pods: RunningPod[], hash: string, nodes: any[]): Promise<void> {
    const eligible = this.o.nodes.filter((n) => selects(ds.spec?.template?.spec?.nodeSelector, nodes.find((x) => x.metadata.name === n.name)?.metadata?.labels))
    for (const p of pods) if (!eligible.some((n) => n.name === p.placement.nodeName)) await this.remove(p)
    const onNode = (n: string) => pods.filter((p) => p.placement.nodeName === n)
    for (const n of eligible) if (onNode(n.name).length === 0) await this.create('DaemonSet', ds, hash, n)
    // RollingUpdate with maxUnavailable 1: replace one old pod only while every other node has a ready pod.
    const maxUnavailable = Number(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1) || 1
    const unavailable = eligible.filter((n) => !onNode(n.name).some((p) => p.ready)).length
    if (ds.spec?.updateStrategy?.type === 'OnDelete' || unavailable >= maxUnavailable) return
    const old = pods.find((p) => p.hash !== hash)
    if (old) {
      this.log('rolling', {kind: 'DaemonSet', pod: old.name, node: old.placement.nodeName})
      await this.remove(old)
    }
  }

  private async rollDeployment(d: any, pods: RunningPod[], hash: string): Promise<void> {
    const want = d.spec?.replicas ?? 1
    const fresh = pods.filter((p) => p.hash === hash)
    const old = pods.filter((p) => p.hash !== hash)
    // Surge one: a new pod first, the old one goes once a new one is ready (maxSurge 1, maxUnavailable 0).
    if (fresh.length < want && pods.length < want + 1) await this.create('Deployment', d, hash)
    // maxUnavailable 0: an old pod goes only while the ready pods without it still number `want`.
    const readyTotal = pods.filter((p) => p.ready).length
    const victim = old.find((p) => !p.ready) ?? old[0]
    if (victim && readyTotal - (victim.ready ? 1 : 0) >= want) await this.remove(victim)
    for (const extra of fresh.slice(want)) await this.remove(extra)
  }

  private async create(kind: Kind, owner: any, hash: string, node?: KubeletNode): Promise<void> {
    const ns = this.o.namespace
    const template = owner.spec?.template ?? {}
    const hostNetwork = !!template.spec?.hostNetwork
    const suffix = randomBytes(3).toString('hex').slice(0, 5)
    let slot: {netns: string; ip: string} | undefined
    let n = node
    if (!hostNetwork) {
      const used = new Set([...this.pods.values()].map((p) => p.slot))
      slot = this.o.podNetworks.find((s) => !used.has(s.netns))
      if (!slot) {
        this.log('no pod network slot free', {owner: owner.metadata.name})
        return
      }
      n ??= this.o.nodes[this.o.podNetworks.indexOf(slot) % this.o.nodes.length]
    }
    if (!n) return
    const name = kind === 'DaemonSet' ? `${owner.metadata.name}-${suffix}` : `${owner.metadata.name}-${hash.slice(0, 8)}-${suffix}`
    const placement: Placement = {namespace: ns, name, nodeName: n.name, hostIP: n.ip, podIP: slot?.ip ?? n.ip, netns: slot?.netns ?? n.netns}
    const pod = this.store.put(podObject({kind, name: owner.metadata.name, uid: owner.metadata.uid}, template, placement, hash))
    const p: RunningPod = {kind, owner: owner.metadata.name, hash, name, container: `${LABEL}-${this.id}-${name}`, placement, slot: slot?.netns,
      ready: false, failures: 0, restarts: 0, lastProbe: 0, lastRestart: Date.now()}
    this.pods.set(name, p)
    this.started.push({name, kind, hash, node: n.name})
    try {
      await this.run(p, pod)
    } catch (e) {
      p.waiting = (e as Error).message
      this.log('container not started', {pod: name, error: p.waiting})
    }
    this.writePodStatus(p)
  }

  private async run(p: RunningPod, pod: any): Promise<void> {
    const spec = pod.spec
    const container = spec.containers[0]
    const podDir = join(this.o.dir, p.name)
    const volumes: Record<string, string> = {}
    // As the kubelet does: volume files belong to the pod's fsGroup, so a non-root container can read them.
    const fsGroup: number | undefined = spec.securityContext?.fsGroup
    for (const v of spec.volumes ?? []) {
      if (!v.secret) continue
      const secret = this.store.get('v1', 'Secret', p.placement.namespace, v.secret.secretName)
      if (!secret) throw new Error(`secret "${v.secret.secretName}" not found`)
      const dir = join(podDir, 'volumes', v.name)
      mkdirSync(dir, {recursive: true})
      for (const [k, b64] of Object.entries<string>(secret.data ?? {})) {
        writeFileSync(join(dir, k), Buffer.from(b64, 'base64'), {mode: v.secret.defaultMode ?? 0o644})
        if (fsGroup !== undefined) chownSync(join(dir, k), -1, fsGroup)
      }
      volumes[v.name] = dir
    }
    if (spec.automountServiceAccountToken !== false) {
      p.token = projectServiceAccountToken(this.o.server, join(podDir, 'serviceaccount'), {namespace: p.placement.namespace, serviceAccount: spec.serviceAccountName ?? 'default',
      checkIntervalMs: 5000, fileMode: 0o644, gid: fsGroup})
    }
    const env = containerEnv(container, pod, this.o.api)
    const args = podmanRunArgs({containerName: p.container, labels: {[LABEL]: this.id, [PID_LABEL]: String(process.pid), 'io.kubernetes.pod.name': p.name, 'io.kubernetes.pod.namespace': p.placement.namespace},
      container, pod, placement: p.placement, env, mounts: {serviceAccount: p.token?.dir, volumes}, runFlags: this.o.runFlags})
    const r = await execa('podman', ['run', ...args], {reject: false})
    if (r.exitCode !== 0) throw new Error(`podman run: ${r.stderr.trim().split('\n').pop()}`)
    p.waiting = undefined
    this.followLogs(p, container.name)
    this.log('started', {pod: p.name, node: p.placement.nodeName, image: container.image})
  }

  /** The container's output as the pod's log (`kubectl logs`, `previous=true` after a restart). */
  private followLogs(p: RunningPod, container: string, since?: string): void {
    const child = spawn('podman', ['logs', '-f', ...(since ? ['--since', since] : []), p.container], {stdio: ['ignore', 'pipe', 'pipe']})
    p.logs = child
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({input: stream}).on('line', (line) => {
        try {
          this.o.server.appendPodLog(p.placement.namespace, p.name, container, line)
        } catch {
          // the pod is gone
        }
      })
    }
    child.on('error', () => undefined)
  }

  /** Container states (restart what exited, as restartPolicy Always) and readiness probes. */
  private async observe(): Promise<void> {
    const live = [...this.pods.values()].filter((p) => !p.terminating)
    if (live.length === 0) return
    const states = new Map((await this.containers()).map((c) => [c.Names[0], c.State]))
    await Promise.all(live.map(async (p) => {
      const state = states.get(p.container)
      const before = p.ready
      if (state !== 'running') {
        p.ready = false
        p.failures = 0
        const due = Date.now() - p.lastRestart > Math.min(10_000, 1000 * 2 ** p.restarts)
        if (!state && p.waiting && due) {
          // Never started (a Secret not there yet, an image missing): try again, as the kubelet does.
          p.restarts++
          p.lastRestart = Date.now()
          p.token?.stop()
          const pod = this.store.get('v1', 'Pod', p.placement.namespace, p.name)
          if (pod) {
            await execa('podman', ['rm', '-f', '-t', '0', p.container], {reject: false})
            await this.run(p, pod).catch((e: Error) => {
              p.waiting = e.message
            })
            this.writePodStatus(p)
          }
        } else if (state && due) {
          p.restarts++
          p.lastRestart = Date.now()
          const logs = await execa('podman', ['logs', '--tail', '5', p.container], {reject: false})
          this.log('restarting', {pod: p.name, state, logs: `${logs.stdout}\n${logs.stderr}`.trim().slice(-1500)})
          const name = this.store.get('v1', 'Pod', p.placement.namespace, p.name)?.spec?.containers?.[0]?.name ?? 'main'
          p.logs?.kill()
          this.o.server.restartContainer(p.placement.namespace, p.name, name)
          const since = new Date().toISOString()
          await execa('podman', ['start', p.container], {reject: false})
          this.followLogs(p, name, since)
        }
      } else if (Date.now() - p.lastProbe >= (this.o.probeMs ?? 1000)) {
        p.lastProbe = Date.now()
        if (await this.probe(p)) {
          p.failures = 0
          p.ready = true
        } else if (++p.failures >= this.failureThreshold(p)) p.ready = false
      }
      if (p.ready !== before) this.writePodStatus(p)
    }))
  }

  private failureThreshold(p: RunningPod): number {
    return this.store.get('v1', 'Pod', p.placement.namespace, p.name)?.spec?.containers?.[0]?.readinessProbe?.failureThreshold ?? 3
  }

  private async probe(p: RunningPod): Promise<boolean> {
    const pod = this.store.get('v1', 'Pod', p.placement.namespace, p.name)
    const container = pod?.spec?.containers?.[0]
    const get = container?.readinessProbe?.httpGet
    if (!get) return true
    const port = probePort(container, get.port)
    const host = p.placement.podIP.includes(':') ? `[${p.placement.podIP}]` : p.placement.podIP
    const url = `${(get.scheme ?? 'HTTP').toLowerCase()}://${host}:${port}${get.path ?? '/'}`
    // The kubelet probes from the host; the pod's (or node's) namespace is where the pod's address answers.
    const r = await sh('ip', ['netns', 'exec', p.placement.netns, 'curl', '-sk', '-o', '/dev/null', '-w', '%{http_code}', '-m', String(container.readinessProbe.timeoutSeconds ?? 1), url], {timeoutMs: 10_000})
    const code = Number(r.stdout.trim())
    return code >= 200 && code < 400
  }

  private writePodStatus(p: RunningPod): void {
    const cur = this.store.get('v1', 'Pod', p.placement.namespace, p.name)
    if (!cur) return
    const container = cur.spec?.containers?.[0] ?? {}
    const running = !p.waiting && !p.terminating
    cur.status = {
      ...cur.status,
      phase: running ? 'Running' : 'Pending',
      conditions: [{type: 'Ready', status: p.ready ? 'True' : 'False'}, {type: 'ContainersReady', status: p.ready ? 'True' : 'False'}, {type: 'PodScheduled', status: 'True'}],
      containerStatuses: [{name: container.name, image: container.image, ready: p.ready, restartCount: p.restarts, started: running,
        state: running ? {running: {}} : {waiting: {reason: p.waiting ? 'CreateContainerError' : 'ContainerCreating', message: p.waiting ?? ''}}}],
    }
    this.store.put(cur)
  }

  private writeWorkloadStatus(kind: Kind, name: string, nodes: any[]): void {
    // The workload as it is now (it may have changed while this tick waited on podman): its generation is observed
    // only together with counts against its own template.
    const cur = this.store.get('apps/v1', kind, this.o.namespace, name)
    if (!cur) return
    const hash = templateHash(cur.spec?.template)
    const pods = [...this.pods.values()].filter((p) => p.kind === kind && p.owner === name && !p.terminating)
    const ready = pods.filter((p) => p.ready).length
    const updated = pods.filter((p) => p.hash === hash).length
    const gen = cur.metadata.generation ?? 1
    let status: any
    if (kind === 'DaemonSet') {
      const desired = this.o.nodes.filter((n) => selects(cur.spec?.template?.spec?.nodeSelector, nodes.find((x) => x.metadata.name === n.name)?.metadata?.labels)).length
      status = {currentNumberScheduled: pods.length, desiredNumberScheduled: desired, numberMisscheduled: 0, numberReady: ready, numberAvailable: ready,
        numberUnavailable: Math.max(0, desired - ready), updatedNumberScheduled: updated, observedGeneration: gen}
    } else {
      const want = cur.spec?.replicas ?? 1
      status = {replicas: pods.length, updatedReplicas: updated, readyReplicas: ready, availableReplicas: ready, unavailableReplicas: Math.max(0, want - ready), observedGeneration: gen,
        conditions: [{type: 'Available', status: ready >= Math.min(want, 1) ? 'True' : 'False', reason: 'MinimumReplicasAvailable'}]}
    }
    if (JSON.stringify(status) === JSON.stringify(cur.status ?? {})) return
    cur.status = status
    this.store.put(cur)
  }

  /** Stop the pod's container (its grace period), then delete its Pod object and files. */
  private async remove(p: RunningPod): Promise<void> {
    p.terminating = true
    p.ready = false
    const grace = this.store.get('v1', 'Pod', p.placement.namespace, p.name)?.spec?.terminationGracePeriodSeconds ?? 30
    await this.kill(p, grace)
    try {
      this.store.delete('v1', 'Pod', p.placement.namespace, p.name)
    } catch {
      // already gone
    }
    this.log('removed', {pod: p.name})
  }

  private async kill(p: RunningPod, graceSeconds: number): Promise<void> {
    p.token?.stop()
    p.logs?.kill()
    await execa('podman', ['rm', '-f', '-t', String(graceSeconds), p.container], {reject: false})
    this.pods.delete(p.name)
    rmSync(join(this.o.dir, p.name), {recursive: true, force: true})
  }
}
