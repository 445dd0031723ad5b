// Running the real controller process (bin/controller.js, built by `npm run build`) against the API server harness.
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import type {IPAddressPool, Service} from '../../../src/lib/api/types.js'
import {poll} from '../../harness/poll.js'
import {ROOT, startCluster, type Cluster} from '../helpers.js'

export {startCluster, type Cluster}
export const CONTROLLER = join(ROOT, 'bin', 'controller.js')

export interface Daemon {
  proc: ChildProcess
  /** Every JSON log line so far. */
  logs: Array<Record<string, any>>
  stderr: () => string
  identity: string
  metricsPort: number
  healthPort: number
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>
  metrics(): Promise<string>
  metric(name: string, labels?: string): Promise<number | undefined>
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | string>
  kill9(): Promise<number | string>
}

/**
 * Start `node bin/controller.js --kubeconfig KC …` (no flag when KC is '') and wait until it listens, on free ports.
 * `launcher` runs it through another command that ends by exec'ing its arguments (e.g. into a mount namespace), so
 * the pid is still the controller's.
 */
export async function startController(kubeconfig: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, launcher: string[] = []): Promise<Daemon> {
  if (!existsSync(join(ROOT, 'dist', 'src', 'controller', 'main.js'))) throw new Error('dist/src/controller/main.js is missing: run `npm run build` first')
  const argv = [process.execPath, CONTROLLER, ...(kubeconfig ? ['--kubeconfig', kubeconfig] : []), '--metrics-port', '0', '--health-port', '0', ...args]
  const [cmd, ...rest] = [...launcher, ...argv]
  const proc = spawn(cmd, rest, {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  const logs: Array<Record<string, any>> = []
  let err = ''
  let buf = ''
  proc.stdout!.on('data', (d) => {
    buf += d
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      try {
        logs.push(JSON.parse(line))
      } catch {
        err += `${line}\n`
      }
    }
  })
  proc.stderr!.on('data', (d) => (err += d))
  const exited = new Promise<number | string>((r) => proc.on('exit', (code, sig) => r(code ?? sig ?? -1)))
  const listening = await waitFor(() => logs.find((l) => l.msg === 'listening'), {timeout: 20_000, what: 'controller to listen', also: () => (proc.exitCode !== null ? `controller exited ${proc.exitCode}: ${err}${JSON.stringify(logs.at(-1) ?? {})}` : undefined)})
  const d: Daemon = {
    proc, logs, stderr: () => err, identity: String(logs[0]?.identity), metricsPort: listening.metricsPort, healthPort: listening.healthPort, exited,
    async metrics() {
      return (await fetch(`http://127.0.0.1:${listening.metricsPort}/metrics`)).text()
    },
    async metric(name, labels = '') {
      const text = await d.metrics()
      const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `) || (!labels && l.startsWith(`${name} `)))
      return line === undefined ? undefined : Number(line.split(' ').pop())
    },
    async stop() {
      proc.kill('SIGTERM')
      return exited
    },
    async kill9() {
      proc.kill('SIGKILL')
      return exited
    },
  }
  return d
}

/** Poll until `fn` returns something truthy, or fail after `timeout` ms saying what was awaited. */
export async function waitFor<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, o: {timeout?: number; interval?: number; what?: string; also?: () => string | undefined} = {}): Promise<T> {
  return (await poll(fn, {timeoutMs: o.timeout ?? 20_000, intervalMs: o.interval, what: o.what, also: o.also})) as T
}

export const poolObj = (name: string, addresses: string[], extra: Partial<NonNullable<IPAddressPool['spec']>> = {}): IPAddressPool => ({
  apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name, namespace: 'metallb-system'}, spec: {addresses, ...extra},
})

export interface SvcOpts {
  ns?: string
  annotations?: Record<string, string>
  labels?: Record<string, string>
  spec?: Partial<NonNullable<Service['spec']>>
  ports?: Array<[string, number]>
}

export const svcObj = (name: string, o: SvcOpts = {}): Service => ({
  apiVersion: 'v1', kind: 'Service',
  metadata: {name, namespace: o.ns ?? 'default', annotations: o.annotations, labels: o.labels},
  spec: {
    type: 'LoadBalancer', ports: (o.ports ?? [['TCP', 80]]).map(([protocol, port], i) => ({name: `p${i}`, protocol, port})),
    selector: {app: name}, ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ...o.spec,
  },
})

/** The addresses a service shows in the harness now. */
export function ingressOf(c: Cluster, name: string, ns = 'default'): string[] {
  const s = c.server.store.get('v1', 'Service', ns, name)
  return (s?.status?.loadBalancer?.ingress ?? []).map((i: {ip?: string}) => i.ip).filter(Boolean)
}

export const poolOf = (c: Cluster, name: string, ns = 'default'): string | undefined =>
  c.server.store.get('v1', 'Service', ns, name)?.metadata?.annotations?.['metallb.io/ip-allocated-from-pool']

/** Events on one object, as the controller recorded them. */
export function eventsFor(c: Cluster, name: string, ns = 'default'): Array<{reason: string; message: string; type: string; reportingInstance?: string}> {
  return c.server.store.list('v1', 'Event').filter((e) => e.involvedObject?.name === name && e.involvedObject?.namespace === ns)
}

/**
 * Every address held by more than one service, with the holders, where the holders may not share it under MetalLB's
 * rules (same non-empty key, disjoint ports, same selector for Local). Empty when all is legal.
 */
export function illegalSharing(services: Service[]): string[] {
  const byIP = new Map<string, Service[]>()
  for (const s of services) for (const i of s.status?.loadBalancer?.ingress ?? []) if (i.ip) byIP.set(i.ip, [...(byIP.get(i.ip) ?? []), s])
  const out: string[] = []
  const key = (s: Service) => s.metadata.annotations?.['metallb.io/allow-shared-ip'] ?? ''
  const backend = (s: Service) => (s.spec?.externalTrafficPolicy === 'Local' ? JSON.stringify(s.spec?.selector ?? {}) : '')
  const ports = (s: Service) => (s.spec?.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`)
  for (const [ip, hs] of byIP) {
    for (let i = 0; i < hs.length; i++) {
      for (let j = i + 1; j < hs.length; j++) {
        const [a, b] = [hs[i], hs[j]]
        const ok = key(a) !== '' && key(a) === key(b) && backend(a) === backend(b) && !ports(a).some((p) => ports(b).includes(p))
        if (!ok) out.push(`${ip}: ${a.metadata.namespace}/${a.metadata.name} and ${b.metadata.namespace}/${b.metadata.name}`)
      }
    }
  }
  return out
}
