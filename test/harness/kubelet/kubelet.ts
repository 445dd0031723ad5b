// The kubelet stand-in (TESTING.md §3; test harness, not product): for the lab's node namespaces it plays the
// DaemonSet/Deployment controllers and the kubelets. It lists and watches the namespace's DaemonSets, Deployments,
// Pods, Secrets and ConfigMaps and the Nodes over HTTPS with a token (cluster.ts), and runs the workloads' pods as
// podman containers of the built images. Each pod gets a Pod object created over HTTP (template labels, nodeName,
// podIP), a service-account token the harness issues for its ServiceAccount (so RBAC applies), its Secret volumes,
// env from the downward API, Secrets and ConfigMaps, its resource limits as cgroup limits, Ready from its readiness
// probe and restarts from its liveness probe (HTTP GET from the pod's network namespace). Pod and workload status go
// through the status subresource, so `install --wait` waits on real processes; the harness's own delayed ready
// counts must be off (workloadReadyDelayMs < 0). DaemonSet pods go only to nodes whose taints they tolerate (with the
// DaemonSet controller's standard tolerations) and whose labels match the nodeSelector. Template changes roll: a
// DaemonSet one node at a time (maxUnavailable 1), a Deployment new pod first, then the old one goes.
// Level-triggered: every tick compares the watched state with the containers.
import type {ChildProcess} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {execa} from 'execa'
import {type ApiServer, projectServiceAccountToken, type ProjectedToken} from '../apiserver/index.js'
import {ClusterView} from './cluster.js'
import {containerEnv, type Placement, podmanRunArgs, podObject, PodStartError, stable, templateHash} from './pods.js'
import {containersOf, followLogs, httpProbe, LABEL, PID_LABEL, secretVolumes} from './runtime.js'
import {fits, nodeNamed} from './scheduling.js'
import {daemonSetStatus, deploymentStatus, podStatus} from './status.js'

export interface KubeletNode {
  name: string
  /** Network namespace of the node (hostNetwork pods join it). */
  netns: string
  ip: string
}

export interface KubeletOptions {
  /** The harness: it issues the pods' service-account tokens and keeps their logs (a kubelet's own business). */
  server: ApiServer
  /** The stand-in's credentials: a kubeconfig with a token for the harness's HTTPS address. */
  kubeconfig: string
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
  /** Liveness probes run every periodSeconds × this (default 1: as the manifest says), after initialDelaySeconds × this. */
  livenessScale?: number
  log?: (event: string, fields: Record<string, unknown>) => void
}

type Kind = 'DaemonSet' | 'Deployment'

export {removeStaleContainers} from './runtime.js'

interface RunningPod {
  kind: Kind
  owner: string
  hash: string
  name: string
  container: string
  placement: Placement
  /** The Pod's spec as created (its container, probes, grace period). */
  spec: any
  slot?: string
  token?: ProjectedToken
  /** `podman logs -f`, feeding the harness's pods/log. */
  logs?: ChildProcess
  ready: boolean
  /** Consecutive failed readiness probes (Ready turns False after the probe's failureThreshold of them). */
  failures: number
  /** Consecutive failed liveness probes (the container is restarted after the probe's failureThreshold of them). */
  liveFailures: number
  restarts: number
  lastProbe: number
  lastLiveness: number
  lastRestart: number
  /** When the container last started (liveness waits initialDelaySeconds from here). */
  startedAt: number
  /** How the previous container ended (lastState.terminated), after a restart. */
  lastTerminated?: {exitCode: number; reason: string; finishedAt: string}
  /** Why the container is not running, if it is not: the kubelet's reason and message. */
  waiting?: {reason: string; message: string}
  /** Whether the Pod object is being deleted (the container is stopping). */
  terminating?: boolean
  /** The status last written (nothing is written when it would not change). */
  written?: string
}

export class Kubelet {
  readonly id = randomBytes(4).toString('hex')
  /** The stand-in's view of the cluster, kept by list + watch over HTTPS (tests read its re-list counts). */
  readonly view: ClusterView
  private readonly pods = new Map<string, RunningPod>()
  private timer?: NodeJS.Timeout
  private ticking?: Promise<void>
  private stopped = false
  /** Scheduling refusals already logged (once each). */
  private readonly refused = new Set<string>()
  /** Every pod started, in order (for tests: how many replacements a rollout made). */
  readonly started: Array<{name: string; kind: Kind; hash: string; node: string}> = []

  constructor(private readonly o: KubeletOptions) {
    mkdirSync(o.dir, {recursive: true})
    this.view = new ClusterView(o.kubeconfig, o.namespace, (what, err) => this.log('watch failed', {what, error: String((err as Error)?.message ?? err)}))
  }

  /** List and watch, then follow: resolves once every kind has been listed and the first tick has run. */
  async start(): Promise<void> {
    await this.view.start(() => undefined)
    const loop = () => {
      if (this.stopped) return
      this.ticking = this.tick().catch((e) => this.log('tick failed', {error: String(e?.message ?? e)})).finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.o.tickMs ?? 200)
      })
    }
    loop()
    await this.ticking
  }

  /** Stop following the harness and remove every container this stand-in started. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.ticking
    this.view.stop()
    await Promise.all([...this.pods.values()].map((p) => this.kill(p, 0)))
    await execa('podman', ['rm', '-f', '-t', '0', '--filter', `label=${LABEL}=${this.id}`], {reject: false})
  }

  /** The containers of this stand-in, as podman lists them (name, state, labels). */
  containers(): Promise<Array<{Names: string[]; State: string; Labels: Record<string, string>}>> {
    return containersOf(this.id)
  }

  /** The container running a pod now (for tests that inspect it). */
  containerOf(podName: string): string | undefined {
    return [...this.pods.values()].find((p) => p.name === podName)?.container
  }

  private log(event: string, fields: Record<string, unknown> = {}): void {
    this.o.log?.(event, fields)
  }

  private async tick(): Promise<void> {
    const nodes = this.view.list('Node')
    const owners = new Map<string, {kind: Kind; obj: any}>()
    for (const ds of this.view.list('DaemonSet')) owners.set(`DaemonSet/${ds.metadata.name}`, {kind: 'DaemonSet', obj: ds})
    for (const d of this.view.list('Deployment')) owners.set(`Deployment/${d.metadata.name}`, {kind: 'Deployment', obj: d})

    // Pods whose owner is gone, or whose Pod object someone deleted, stop.
    for (const p of this.pods.values()) {
      if (p.terminating) continue
      if (!owners.has(`${p.kind}/${p.owner}`) || await this.podDeleted(p)) await this.remove(p)
    }
    await this.observe()
    for (const [key, {kind, obj}] of owners) {
      const pods = [...this.pods.values()].filter((p) => `${p.kind}/${p.owner}` === key && !p.terminating)
      const hash = templateHash(obj.spec?.template)
      if (kind === 'DaemonSet') await this.rollDaemonSet(obj, pods, hash, nodes)
      else await this.rollDeployment(obj, pods, hash, nodes)
      await this.writeWorkloadStatus(kind, obj.metadata.name, nodes)
    }
  }

  /** Whether the Pod object is gone or being deleted (a cache miss is confirmed with a GET: a re-list may lag a create). */
  private async podDeleted(p: RunningPod): Promise<boolean> {
    const cached = this.view.get('Pod', p.name)
    if (cached) return !!cached.metadata.deletionTimestamp
    const live = await this.view.kube.get<any>({apiVersion: 'v1', kind: 'Pod', plural: 'pods'}, p.name, this.o.namespace).catch(() => 'unknown')
    return live === undefined || !!live?.metadata?.deletionTimestamp
  }

  /** The nodes a workload's pod may go to now (taints, tolerations, nodeSelector), logging each refusal once. */
  private eligible(kind: Kind, owner: any, nodes: any[]): KubeletNode[] {
    return this.o.nodes.filter((n) => {
      const f = fits(owner.spec?.template?.spec, nodeNamed(nodes, n.name), {daemon: kind === 'DaemonSet'})
      const key = `${kind}/${owner.metadata.name}: ${f.reason}`
      if (!f.ok && !this.refused.has(key)) {
        this.refused.add(key)
        this.log('not scheduled', {kind, owner: owner.metadata.name, reason: f.reason})
      }
      return f.ok
    })
  }

  /** Whether a DaemonSet's pod already on a node may stay (its nodeSelector still matches, no NoExecute taint it does not tolerate). */
  private stays(ds: any, p: RunningPod, nodes: any[]): boolean {
    return fits(ds.spec?.template?.spec, nodeNamed(nodes, p.placement.nodeName), {daemon: true, running: true}).ok
  }

  private async rollDaemonSet(ds: any, pods: RunningPod[], hash: string, nodes: any[]): Promise<void> {
    for (const p of pods) {
      if (this.stays(ds, p, nodes)) continue
      this.log('evicting', {pod: p.name, node: p.placement.nodeName})
      await this.remove(p)
    }
    pods = pods.filter((p) => !p.terminating)
    const onNode = (n: string) => pods.filter((p) => p.placement.nodeName === n)
    const eligible = this.eligible('DaemonSet', ds, nodes)
    for (const n of eligible) if (onNode(n.name).length === 0) await this.create('DaemonSet', ds, hash, nodes, n)
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

  private async rollDeployment(d: any, pods: RunningPod[], hash: string, nodes: any[]): Promise<void> {
    const want = d.spec?.replicas ?? 1
    const fresh = pods.filter((p) => p.hash === hash)
    const old = pods.filter((p) => p.hash !== hash)
    // Surge one: a new pod first, the old one goes once a new one is ready (maxSurge 1, maxUnavailable 0).
    if (fresh.length < want && pods.length < want + 1) await this.create('Deployment', d, hash, nodes)
    // maxUnavailable 0: an old pod goes only while the ready pods without it still number `want`.
    const readyTotal = pods.filter((p) => p.ready).length
    const victim = old.find((p) => !p.ready) ?? old[0]
    if (victim && readyTotal - (victim.ready ? 1 : 0) >= want) await this.remove(victim)
    for (const extra of fresh.slice(want)) await this.remove(extra)
  }

  private async create(kind: Kind, owner: any, hash: string, nodes: any[], node?: KubeletNode): Promise<void> {
    const ns = this.o.namespace
    const template = owner.spec?.template ?? {}
    const hostNetwork = !!template.spec?.hostNetwork
    const suffix = randomBytes(3).toString('hex').slice(0, 5)
    let slot: {netns: string; ip: string} | undefined
    let n = node
    if (!n) {
      // The scheduler's part, for a Deployment's pod: a node it fits on, spread by slot (or by count, hostNetwork).
      const eligible = this.eligible(kind, owner, nodes)
      if (eligible.length === 0) return
      if (!hostNetwork) {
        const used = new Set([...this.pods.values()].map((p) => p.slot))
        slot = this.o.podNetworks.find((s) => !used.has(s.netns))
        if (!slot) {
          this.log('no pod network slot free', {owner: owner.metadata.name})
          return
        }
      }
      n = eligible[(slot ? this.o.podNetworks.indexOf(slot) : this.started.length) % eligible.length]
    }
    const name = kind === 'DaemonSet' ? `${owner.metadata.name}-${suffix}` : `${owner.metadata.name}-${hash.slice(0, 8)}-${suffix}`
    const placement: Placement = {namespace: ns, name, nodeName: n.name, hostIP: n.ip, podIP: slot?.ip ?? n.ip, netns: slot?.netns ?? n.netns}
    let pod: any
    try {
      pod = await this.view.createPod(podObject({kind, name: owner.metadata.name, uid: owner.metadata.uid}, template, placement, hash))
    } catch (e) {
      this.log('pod not created', {pod: name, error: (e as Error).message})
      return
    }
    const now = Date.now()
    const p: RunningPod = {kind, owner: owner.metadata.name, hash, name, container: `${LABEL}-${this.id}-${name}`, placement, spec: pod.spec, slot: slot?.netns,
      ready: false, failures: 0, liveFailures: 0, restarts: 0, lastProbe: 0, lastLiveness: 0, lastRestart: now, startedAt: now}
    this.pods.set(name, p)
    this.started.push({name, kind, hash, node: n.name})
    await this.run(p, pod).catch((e: Error) => this.notStarted(p, e))
    await this.writePodStatus(p)
  }

  private notStarted(p: RunningPod, e: Error): void {
    p.waiting = {reason: e instanceof PodStartError ? e.reason : 'CreateContainerError', message: e.message}
    this.log('container not started', {pod: p.name, ...p.waiting})
  }

  private async run(p: RunningPod, pod: any): Promise<void> {
    const spec = pod.spec
    const container = spec.containers[0]
    const podDir = join(this.o.dir, p.name)
    const volumes = secretVolumes(spec, podDir, (n) => this.view.get('Secret', n))
    // The downward API reads the pod's addresses from the placement (the Pod's status may not carry them yet).
    const withIPs = {...pod, status: {...pod.status, podIP: p.placement.podIP, hostIP: p.placement.hostIP}}
    const env = containerEnv(container, withIPs, this.o.api, {secret: (n) => this.view.get('Secret', n), configMap: (n) => this.view.get('ConfigMap', n)})
    if (spec.automountServiceAccountToken !== false && !p.token) {
      p.token = projectServiceAccountToken(this.o.server, join(podDir, 'serviceaccount'), {namespace: p.placement.namespace, serviceAccount: spec.serviceAccountName ?? 'default',
        checkIntervalMs: 5000, fileMode: 0o644, gid: spec.securityContext?.fsGroup})
    }
    const args = podmanRunArgs({containerName: p.container, labels: {[LABEL]: this.id, [PID_LABEL]: String(process.pid), 'io.kubernetes.pod.name': p.name, 'io.kubernetes.pod.namespace': p.placement.namespace},
      container, pod: withIPs, placement: p.placement, env, mounts: {serviceAccount: p.token?.dir, volumes}, runFlags: this.o.runFlags})
    // conmon writes `oom` into its working directory when the kernel kills the container at its memory limit.
    mkdirSync(podDir, {recursive: true})
    const r = await execa('podman', ['run', ...args], {reject: false, cwd: podDir})
    if (r.exitCode !== 0) throw new PodStartError('CreateContainerError', `podman run: ${r.stderr.trim().split('\n').pop()}`)
    p.waiting = undefined
    p.startedAt = Date.now()
    followLogs(p, this.o.server, container.name)
    this.log('started', {pod: p.name, node: p.placement.nodeName, image: container.image})
  }

  /** Container states (restart what exited, as restartPolicy Always), readiness and liveness probes. */
  private async observe(): Promise<void> {
    const live = [...this.pods.values()].filter((p) => !p.terminating)
    if (live.length === 0) return
    const states = new Map((await this.containers()).map((c) => [c.Names[0], c.State]))
    await Promise.all(live.map(async (p) => {
      const state = states.get(p.container)
      const container = p.spec.containers[0]
      if (state !== 'running') {
        p.ready = false
        p.failures = 0
        const due = Date.now() - p.lastRestart > Math.min(10_000, 1000 * 2 ** p.restarts)
        if (!state && p.waiting && due) {
          // Never started (a Secret or a key not there yet, an image missing): try again, as the kubelet does.
          p.lastRestart = Date.now()
          await execa('podman', ['rm', '-f', '-t', '0', p.container], {reject: false})
          await this.run(p, {metadata: {name: p.name, namespace: p.placement.namespace, uid: this.view.get('Pod', p.name)?.metadata?.uid, labels: this.view.get('Pod', p.name)?.metadata?.labels},
            spec: p.spec, status: {podIP: p.placement.podIP, hostIP: p.placement.hostIP}}).catch((e: Error) => this.notStarted(p, e))
        } else if (state && due) {
          const logs = await execa('podman', ['logs', '--tail', '5', p.container], {reject: false})
          this.log('restarting', {pod: p.name, state, logs: `${logs.stdout}\n${logs.stderr}`.trim().slice(-1500)})
          await this.restart(p, container.name)
        }
      } else {
        const now = Date.now()
        if (now - p.lastProbe >= (this.o.probeMs ?? 1000)) {
          p.lastProbe = now
          if (await httpProbe(p, container.readinessProbe)) {
            p.failures = 0
            p.ready = true
          } else if (++p.failures >= (container.readinessProbe?.failureThreshold ?? 3)) p.ready = false
        }
        const lp = container.livenessProbe
        const scale = this.o.livenessScale ?? 1
        if (lp?.httpGet && now - p.startedAt >= (lp.initialDelaySeconds ?? 0) * 1000 * scale && now - p.lastLiveness >= (lp.periodSeconds ?? 10) * 1000 * scale) {
          p.lastLiveness = now
          if (await httpProbe(p, lp)) p.liveFailures = 0
          else if (++p.liveFailures >= (lp.failureThreshold ?? 3)) {
            // The kubelet kills a container that fails its liveness probe (its grace period) and restartPolicy Always starts it again.
            this.log('liveness probe failed, restarting', {pod: p.name, failures: p.liveFailures})
            await execa('podman', ['stop', '-t', String(p.spec.terminationGracePeriodSeconds ?? 30), p.container], {reject: false})
            await this.restart(p, container.name)
          }
        }
      }
      await this.writePodStatus(p)
    }))
  }

  /** Start an exited container again: restartCount and lastState, a new log (the old one is `previous`). */
  private async restart(p: RunningPod, container: string): Promise<void> {
    const exit = await execa('podman', ['inspect', '--format', '{{.State.ExitCode}} {{.State.OOMKilled}}', p.container], {reject: false})
    const [code, oom] = exit.stdout.trim().split(' ')
    const exitCode = Number(code) || 0
    // podman 4.3 reports OOMKilled false here: conmon's OOM mark is the `oom` file it writes into its working
    // directory (the pod's folder, where podman run and start are run).
    const oomFile = join(this.o.dir, p.name, 'oom')
    const oomKilled = oom === 'true' || existsSync(oomFile)
    rmSync(oomFile, {force: true})
    p.lastTerminated = {exitCode, reason: oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error', finishedAt: new Date().toISOString()}
    p.restarts++
    p.ready = false
    p.failures = 0
    p.liveFailures = 0
    p.lastRestart = Date.now()
    p.logs?.kill()
    this.o.server.restartContainer(p.placement.namespace, p.name, container)
    const since = new Date().toISOString()
    await execa('podman', ['start', p.container], {reject: false, cwd: join(this.o.dir, p.name)})
    p.startedAt = Date.now()
    followLogs(p, this.o.server, container, since)
  }

  /** The Pod's status through its status subresource, when it changed. */
  private async writePodStatus(p: RunningPod): Promise<void> {
    if (p.terminating) return
    const status = podStatus(p.spec.containers[0] ?? {}, p)
    const json = JSON.stringify(status)
    if (json === p.written) return
    try {
      await this.view.patchStatus('Pod', p.name, status)
      p.written = json
    } catch (e) {
      this.log('pod status not written', {pod: p.name, error: (e as Error).message})
    }
  }

  private async writeWorkloadStatus(kind: Kind, name: string, nodes: any[]): Promise<void> {
    // The workload as it is now (it may have changed while this tick waited on podman): its generation is observed
    // only together with counts against its own template.
    const cur = this.view.get(kind, name)
    if (!cur) return
    const hash = templateHash(cur.spec?.template)
    const pods = [...this.pods.values()].filter((p) => p.kind === kind && p.owner === name && !p.terminating)
    const counts = {pods: pods.length, ready: pods.filter((p) => p.ready).length, updated: pods.filter((p) => p.hash === hash).length, generation: cur.metadata.generation ?? 1}
    const status = kind === 'DaemonSet'
      ? daemonSetStatus({...counts, desired: new Set([...this.eligibleQuiet(cur, nodes), ...pods.filter((p) => this.stays(cur, p, nodes)).map((p) => p.placement.nodeName)]).size})
      : deploymentStatus({...counts, want: cur.spec?.replicas ?? 1})
    if (stable(status) === stable(cur.status ?? {})) return
    await this.view.patchStatus(kind, name, status).catch((e: Error) => this.log('workload status not written', {kind, name, error: e.message}))
  }

  /** The names of the nodes a DaemonSet's new pod fits on. */
  private eligibleQuiet(ds: any, nodes: any[]): string[] {
    return this.o.nodes.filter((n) => fits(ds.spec?.template?.spec, nodeNamed(nodes, n.name), {daemon: true}).ok).map((n) => n.name)
  }

  /** Stop the pod's container (its grace period), then delete its Pod object and files. */
  private async remove(p: RunningPod): Promise<void> {
    p.terminating = true
    p.ready = false
    await this.kill(p, p.spec.terminationGracePeriodSeconds ?? 30)
    await this.view.deletePod(p.name).catch((e: Error) => this.log('pod not deleted', {pod: p.name, error: e.message}))
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
