// `lbctl doctor --bundle FILE`: one tar.gz with what a maintainer asks for — the metallb.io and lbctl.io objects, the
// services and their events, component logs (pods/log), speaker diagnostics, the kube-proxy configuration and the
// doctor's own report. Secret data and passwords are redacted before anything is written.
import {existsSync, mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {create as tarCreate} from 'tar'
import {stringify} from 'yaml'
import {badInput} from '../cli/errors.js'
import {plain} from '../cli/output.js'
import type {Kube} from '../kube/client.js'
import {contextOf, diagnose} from './index.js'
import {diagnosticsClient, type DiagnosticsClient} from './diagnostics.js'
import {DoctorKinds} from './kinds.js'
import {readSnapshot} from './snapshot.js'
import type {DoctorReport} from './types.js'
import {speakerEndpoints} from './speakers.js'

export interface BundleEntry {
  path: string
  bytes: number
}

export interface BundleResult {
  file: string
  bytes: number
  entries: BundleEntry[]
  notCollected: Array<{what: string; why: string}>
  redacted: string[]
  summary: DoctorReport['summary']
}

const REDACTED = '<redacted>'
const SECRET_LINE = /^(\s*[-\w.]*(?:password|passwd|secret|token|secretkey)[-\w.]*\s*[:=]\s*)(\S.*)$/gim

/** Passwords in free text (legacy ConfigMap YAML, logs): `password: x` → `password: <redacted>`. */
export const redactText = (text: string): string => text.replace(SECRET_LINE, (_m, k: string) => `${k}${REDACTED}`)

const SECRET_KEY = /password|passwd|secret|token/i

/** JSON from elsewhere (speaker diagnostics): every value under a password-like key replaced. */
export function redactDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactDeep)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEY.test(k) && (typeof x === 'string' || typeof x === 'number') ? REDACTED : redactDeep(x)]))
  return v
}

/** Objects as written to the bundle: Secret values, BGPPeer passwords and password-like text removed. */
export function redactObject(o: any, redacted: string[]): any {
  const x = structuredClone(o)
  const id = `${x.kind}/${x.metadata?.namespace ? `${x.metadata.namespace}/` : ''}${x.metadata?.name}`
  delete x.metadata?.managedFields
  if (x.kind === 'Secret') {
    for (const field of ['data', 'stringData'] as const) {
      if (x[field]) {
        x[field] = Object.fromEntries(Object.keys(x[field]).map((k) => [k, REDACTED]))
        redacted.push(`${id}: ${field}`)
      }
    }
    if (x.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']) x.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = REDACTED
  }
  if (x.kind === 'BGPPeer' && x.spec?.password) {
    x.spec.password = REDACTED
    redacted.push(`${id}: spec.password`)
  }
  if (x.kind === 'ConfigMap' && x.data) {
    for (const [k, v] of Object.entries<string>(x.data)) {
      const r = redactText(v)
      if (r !== v) {
        x.data[k] = r
        redacted.push(`${id}: data.${k} (password lines)`)
      }
    }
  }
  const last = x.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']
  if (typeof last === 'string' && /password/i.test(last)) x.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = REDACTED
  return x
}

/** Refuse before reading anything: the file must not exist, its directory must. */
export function checkBundlePath(file: string): string {
  const abs = resolve(file)
  if (existsSync(abs)) throw badInput('BUNDLE_EXISTS', `${file} already exists: lbctl does not overwrite it`, 'Give another file name, or remove that file first.')
  const dir = dirname(abs)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw badInput('BUNDLE_DIR_MISSING', `cannot write ${file}: directory ${dir} does not exist`, `Create it (mkdir -p ${dir}) or choose another path.`)
  return abs
}

export interface BundleOptions {
  file: string
  namespace: string
  probe: boolean
  /** Lines of log per container (default 2000). */
  tailLines?: number
  client?: DiagnosticsClient
}

export async function writeBundle(kube: Kube, opts: BundleOptions): Promise<BundleResult> {
  const file = checkBundlePath(opts.file)
  const s = await readSnapshot(kube, {namespace: opts.namespace})
  const c = contextOf(s)
  const notCollected: BundleResult['notCollected'] = s.unreadable.map((u) => ({what: `${u.resource}${u.namespace ? ` in ${u.namespace}` : ''}`, why: u.message}))
  const redacted: string[] = []
  const files = new Map<string, string>()
  const yaml = (path: string, items: unknown[]): void => {
    if (items.length) files.set(path, stringify(plain(items.map((i) => redactObject(i, redacted)))))
  }

  let client = opts.client
  if (!client && opts.probe) {
    const token = await kube.bearerToken().catch(() => undefined)
    if (token) client = diagnosticsClient({token})
    else notCollected.push({what: 'speaker diagnostics', why: 'the kubeconfig user has no bearer token'})
  }
  const report = await diagnose(s, {services: [], all: true, contextNamespace: 'default'}, {client, skip: opts.probe ? undefined : '--no-probe'})
  files.set('doctor.json', JSON.stringify(report, null, 2))

  yaml('metallb.io/ipaddresspools.yaml', s.pools)
  yaml('metallb.io/l2advertisements.yaml', s.l2)
  yaml('metallb.io/bgpadvertisements.yaml', s.bgpAdvertisements)
  yaml('metallb.io/bgppeers.yaml', s.peers)
  yaml('metallb.io/servicel2statuses.yaml', s.l2Statuses)
  yaml('metallb.io/servicebgpstatuses.yaml', s.bgpStatuses)
  yaml('metallb.io/configurationstates.yaml', s.configStates)
  yaml('lbctl.io/bgppeersessions.yaml', s.sessions)
  yaml('cluster/crds.yaml', s.crds.filter((d) => d.spec?.group === 'metallb.io' || d.spec?.group === 'lbctl.io').map((d) => ({...d, spec: {...d.spec, versions: (d.spec?.versions ?? []).map((v) => ({name: v.name, served: v.served, storage: v.storage}))}})))
  yaml('cluster/nodes.yaml', s.nodes.map((n) => ({apiVersion: 'v1', kind: 'Node', metadata: {name: n.metadata.name, labels: n.metadata.labels}, status: {addresses: n.status?.addresses, conditions: n.status?.conditions, nodeInfo: n.status?.nodeInfo}})))
  const lbServices = s.services.filter((x) => x.spec?.type === 'LoadBalancer')
  yaml('services/services.yaml', lbServices)
  const involved = new Set(lbServices.map((x) => `${x.metadata.namespace}/${x.metadata.name}`))
  yaml('services/events.yaml', s.events.filter((e) => involved.has(`${e.involvedObject?.namespace ?? e.metadata.namespace}/${e.involvedObject?.name}`)))
  yaml('services/endpointslices.yaml', s.endpointSlices.filter((e) => involved.has(`${e.metadata.namespace}/${e.metadata.labels?.['kubernetes.io/service-name']}`)))
  yaml(`${s.namespace}/workloads.yaml`, [...s.deployments, ...s.daemonSets])
  yaml(`${s.namespace}/pods.yaml`, s.pods)
  yaml(`${s.namespace}/configmaps.yaml`, [s.install, s.legacyConfig].filter((x) => x !== undefined))
  yaml('cluster/validatingwebhookconfigurations.yaml', s.webhooks.filter((w) => /metallb/i.test(w.metadata.name)))

  const [secrets, events, kubeProxy] = await Promise.all([
    kube.list(DoctorKinds.Secret, {namespace: s.namespace}).then((r) => r.items, (e: Error) => (notCollected.push({what: `secrets in ${s.namespace} (names only)`, why: e.message}), [])),
    kube.list(DoctorKinds.Event, {namespace: s.namespace}).then((r) => r.items, (e: Error) => (notCollected.push({what: `events in ${s.namespace}`, why: e.message}), [])),
    kubeProxyObjects(kube, notCollected),
  ])
  yaml(`${s.namespace}/secrets.yaml`, secrets)
  yaml(`${s.namespace}/events.yaml`, events)
  yaml('kube-proxy/objects.yaml', kubeProxy)
  if (s.kubeProxy) files.set('kube-proxy/detected.json', JSON.stringify(s.kubeProxy, null, 2))

  await Promise.all(c.pods.flatMap((p) => (p.pod.spec?.containers ?? []).map(async (ct) => {
    try {
      files.set(`logs/${p.name}/${ct.name}.log`, redactText(await kube.podLog(s.namespace, p.name, {container: ct.name, tailLines: opts.tailLines ?? 2000})))
    } catch (e) {
      notCollected.push({what: `log of ${p.name}/${ct.name}`, why: (e as Error).message})
    }
  })))
  if (client) {
    await Promise.all(speakerEndpoints(c).flatMap((ep) => (['/v1/bgp', '/v1/l2'] as const).map(async (path) => {
      try {
        files.set(`diagnostics/${ep.node}${path.replace('/v1/', '-')}.json`, JSON.stringify(redactDeep(await client.get(ep, path)), null, 2))
      } catch (e) {
        notCollected.push({what: `diagnostics ${path} of ${ep.node}`, why: (e as Error).message})
      }
    })))
  }
  return pack(file, files, {notCollected, redacted, summary: report.summary})
}

async function kubeProxyObjects(kube: Kube, notCollected: BundleResult['notCollected']): Promise<unknown[]> {
  const out: unknown[] = []
  for (const [ref, name] of [[DoctorKinds.ConfigMap, 'kube-proxy'], [DoctorKinds.DaemonSet, 'kube-proxy']] as const) {
    try {
      const o = await kube.get(ref, name, 'kube-system')
      if (o) out.push(o)
    } catch (e) {
      notCollected.push({what: `kube-system ${ref.kind} ${name}`, why: (e as Error).message})
    }
  }
  return out
}

async function pack(file: string, files: Map<string, string>, meta: Omit<BundleResult, 'file' | 'bytes' | 'entries'>): Promise<BundleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-bundle-'))
  const root = 'lbctl-doctor'
  try {
    const entries: BundleEntry[] = []
    files.set('README.txt', [
      'lbctl doctor bundle', `collected: ${[...files.keys()].sort().join(', ')}`,
      `not collected: ${meta.notCollected.map((n) => `${n.what} (${n.why})`).join('; ') || 'nothing left out'}`,
      `redacted: ${meta.redacted.join('; ') || 'nothing needed it'}`, '',
    ].join('\n'))
    for (const [path, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
      const full = join(dir, root, path)
      mkdirSync(dirname(full), {recursive: true})
      writeFileSync(full, text)
      entries.push({path: `${root}/${path}`, bytes: Buffer.byteLength(text)})
    }
    await tarCreate({gzip: true, file, cwd: dir, portable: true}, [root])
    return {file, bytes: statSync(file).size, entries, ...meta}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

