// `lbctl install`: validate, pre-flight, then apply in the safe order (CRDs, access, config, controller, speakers),
// then the pool, its advertisement and the BGP peer. Every check runs before the first write.
import {BuiltinKinds, Kinds} from '../api/constants.js'
import {rfc3339} from '../api/time.js'
import type {BGPAdvertisement, IPAddressPool, L2Advertisement, Service} from '../api/types.js'
import {badInput, problems} from '../errors.js'
import {inspectKubeProxy, prepareIpvs, type PrepareIO} from '../cluster/prepare.js'
import type {Kube, KubernetesObject} from '../kube/client.js'
import {checkOverlapWithPools, checkPoolName, parseAddresses, planPool, specForm} from '../pool/plan.js'
import {advertisementsFor} from '../pool/usage.js'
import {type PeerInput, peerManifests, validatePeer, type ValidPeer} from '../peer/validate.js'
import {type InstallRecord, type Manifest, newMemberlistKey, type Planned, planManifests} from './manifests.js'
import {DEFAULT_IMAGE_REGISTRY, imageFor, INSTALL_MODES, type InstallMode, Names, objectLabels} from './names.js'
import {checkAccess, findOtherLoadBalancers, refuse, requiredAccess} from './preflight.js'
import {checkRegistry} from './registry.js'
import {planTakeover, takeOver, type TakeoverPlan, type TakeoverStep} from './takeover.js'
import {type Readiness, waitReady} from './wait.js'
import {count} from '../cli/words.js'

export interface InstallInput {
  mode: string
  namespace: string
  version: string
  imageRegistry?: string
  /** Look at --image-registry from here before anything is written (GET /v2/, the tags); false: --skip-registry-check. */
  registryCheck?: boolean
  /** --take-over-metallb: replace a running MetalLB, keeping its configuration and every assigned address. */
  takeOverMetallb?: boolean
  /** --insecure-registry: the registry check may fall back to plain HTTP. */
  insecureRegistry?: boolean
  /** --pool: addresses of the pool to create (none: no pool). */
  addresses: string[]
  poolName: string
  peer?: Partial<PeerInput>
  controllerReplicas: number
  logLevel: string
  dryRun: boolean
  yes: boolean
  wait: boolean
  timeoutMs: number
}

export interface InstallIO {
  note?: (message: string) => void
  confirm?: (question: string) => Promise<boolean>
  juju?: PrepareIO['juju']
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  fetch?: typeof fetch
}

export interface AppliedObject {
  kind: string
  name: string
  namespace?: string
  action: 'applied' | 'created' | 'kept' | 'would-apply' | 'would-create'
}

export interface InstallResult {
  namespace: string
  mode: InstallMode
  version: string
  images: {controller: string; speaker: string}
  dryRun: boolean
  /** An earlier install of another version (or mode) was found: this run upgrades it. */
  upgradedFrom?: {version: string; mode: string}
  objects: AppliedObject[]
  pool?: {name: string; addresses: string[]; advertisement?: string}
  peer?: {name: string; address: string; asn: number; myAsn: number; passwordSecret?: string}
  kubeProxy?: {ready: boolean | 'unknown'; arpHazard: boolean; fixed?: boolean}
  warnings: string[]
  readiness?: Readiness
  /** --take-over-metallb: what was found, and (unless a dry run) what was done, in order. */
  takeover?: {plan: TakeoverPlan; steps: TakeoverStep[]}
}

/** The validated input: nothing here needs the cluster. */
interface Checked {
  mode: InstallMode
  peer?: ValidPeer
  ranges?: ReturnType<typeof parseAddresses>
}

const VERSION = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/

export function checkInput(input: InstallInput): Checked {
  if (!(INSTALL_MODES as readonly string[]).includes(input.mode))
    throw badInput('BAD_MODE', `--mode ${input.mode} is not a mode lbctl knows`, 'Use --mode l2 (ARP/NDP on the local network) or --mode bgp (routes to your routers).')
  const mode = input.mode as InstallMode
  if (!VERSION.test(input.version)) throw badInput('BAD_VERSION', `--version ${input.version} is not an image tag`, 'Give a tag such as 0.1.0.')
  if (input.imageRegistry !== undefined && !REGISTRY.test(input.imageRegistry))
    throw badInput('BAD_REGISTRY', `--image-registry ${input.imageRegistry} is not a registry path`, 'Give host[:port]/path, e.g. registry.example.com:5000/lbctl.')
  if (!Number.isInteger(input.controllerReplicas) || input.controllerReplicas < 1 || input.controllerReplicas > 5)
    throw badInput('BAD_REPLICAS', `--controller-replicas ${input.controllerReplicas} must be from 1 to 5`, 'One is enough; two or more elect a leader.')
  const out: Checked = {mode}
  if (input.addresses.length > 0) {
    checkPoolName(input.poolName)
    out.ranges = parseAddresses(input.addresses)
  }
  const p = input.peer ?? {}
  const given = (['address', 'asn', 'myAsn', 'password'] as const).filter((k) => p[k] !== undefined)
  if (given.length > 0) {
    if (mode !== 'bgp') throw badInput('PEER_NEEDS_BGP', 'BGP peer flags were given with --mode l2', 'Use --mode bgp with --peer-address/--peer-asn/--my-asn, or leave the peer flags out.')
    const absent = (['address', 'asn', 'myAsn'] as const).filter((k) => p[k] === undefined)
    if (absent.length > 0) {
      const flag = {address: '--peer-address', asn: '--peer-asn', myAsn: '--my-asn'}
      throw badInput('PEER_INCOMPLETE', `a BGP peer needs ${absent.map((k) => flag[k]).join(' and ')} too`, 'Give --peer-address, --peer-asn and --my-asn together.')
    }
    out.peer = validatePeer(p as PeerInput)
  }
  return out
}

export async function install(kube: Kube, input: InstallInput, io: InstallIO = {}): Promise<{result: InstallResult; manifests: Planned[]}> {
  const checked = checkInput(input)
  const ns = input.namespace
  const now = io.now ?? Date.now
  const registry = input.imageRegistry ?? DEFAULT_IMAGE_REGISTRY
  const images = {controller: imageFor(registry, 'controller', input.version), speaker: imageFor(registry, 'speaker', input.version)}
  const result: InstallResult = {namespace: ns, mode: checked.mode, version: input.version, images, dryRun: input.dryRun, objects: [], warnings: []}

  // Pre-flight: permissions, other load balancers, kube-proxy, the pool against existing pools. Nothing written yet.
  await checkAccess(kube, requiredAccess(ns))
  // The registry only when one was named: the default one is the public place every release is pushed to.
  // `localhost/…` without a port is no registry: it names images already on each node (podman's local storage).
  if (input.imageRegistry !== undefined && /^localhost(\/|$)/.test(input.imageRegistry)) {
    result.warnings.push(`--image-registry ${input.imageRegistry} is not a registry: every node must already hold ${images.controller} and ${images.speaker}`)
  } else if (input.imageRegistry !== undefined && input.registryCheck !== false) {
    const reg = await checkRegistry([images.controller, images.speaker], {insecure: input.insecureRegistry ?? false, fetch: io.fetch})
    result.warnings.push(...reg.warnings)
  }
  const others = await findOtherLoadBalancers(kube, ns, {takeOver: input.takeOverMetallb})
  if (others.refusals.length > 0) throw refuse(others.refusals)
  result.warnings.push(...others.warnings)
  const takeover = input.takeOverMetallb && (others.metallb.workloads.length > 0 || others.metallb.webhooks.length > 0)
    ? await planTakeover(kube, others.metallb.workloads, others.metallb.webhooks) : undefined
  let fixArp = false
  if (checked.mode === 'l2') {
    const kp = await inspectKubeProxy(kube, {}, {juju: io.juju})
    result.kubeProxy = {ready: kp.ready, arpHazard: kp.arpHazard}
    if (kp.ready === 'unknown') result.warnings.push(`cannot see whether kube-proxy runs with strict ARP (${kp.current?.source ?? 'not visible through the API'}); in IPVS mode without it every node answers ARP for every service address: check with \`lbctl prepare --check\``)
    if (kp.arpHazard) {
      const question = 'kube-proxy runs in IPVS mode without strict ARP, so every node would answer ARP for every service address. Turn strict ARP on now (lbctl prepare --ipvs)?'
      if (input.dryRun) result.warnings.push('kube-proxy runs in IPVS mode without strict ARP: install would offer to turn it on (`lbctl prepare --ipvs`)')
      else if (input.yes || (io.confirm && (await io.confirm(question)))) fixArp = true
      else {
        throw problems('KUBE_PROXY_STRICT_ARP', 'refusing to install in layer-2 mode: kube-proxy runs in IPVS mode without strict ARP, so every node would answer ARP for every service address', 'Run `lbctl prepare --ipvs` first (or pass --yes to let install do it).', kp)
      }
    }
  }
  const crdsServed = await kube.serves(Kinds.IPAddressPool)
  const poolObjects = checked.ranges ? await planPoolObjects(kube, input, checked, crdsServed) : []
  const [secret, record, deployment] = await Promise.all([
    kube.get(BuiltinKinds.Secret, Names.memberlistSecret, ns),
    kube.get<KubernetesObject & {data?: Partial<InstallRecord>}>(Kinds.ConfigMap, Names.installRecord, ns),
    kube.get<KubernetesObject>(BuiltinKinds.Deployment, Names.controller, ns),
  ])
  const prev = record?.data
  if (prev?.version && (prev.version !== input.version || prev.mode !== checked.mode)) result.upgradedFrom = {version: prev.version, mode: prev.mode ?? ''}
  const keepDate = prev?.installedAt && prev.version === input.version && prev.mode === checked.mode
  const manifests = planManifests({
    namespace: ns, mode: checked.mode, version: input.version, controllerImage: images.controller, speakerImage: images.speaker,
    controllerReplicas: input.controllerReplicas, logLevel: input.logLevel,
    installedAt: keepDate ? prev!.installedAt! : rfc3339(now()),
    // Generated once: a second run never replaces the key the speakers share.
    memberlistKey: secret ? undefined : newMemberlistKey(),
  })
  for (const o of poolObjects) manifests.push({phase: 'speaker', object: o.object, secret: o.secret})
  if (checked.peer) {
    const pm = peerManifests(checked.peer, ns, objectLabels())
    if (pm.secret) manifests.push({phase: 'speaker', object: pm.secret as unknown as Manifest, secret: true})
    manifests.push({phase: 'speaker', object: pm.peer as unknown as Manifest})
    result.peer = {name: checked.peer.name, address: checked.peer.address, asn: checked.peer.asn, myAsn: checked.peer.myAsn, passwordSecret: pm.secret?.metadata.name}
  }
  if (checked.ranges) {
    const ad = poolObjects.find((o) => o.object.kind.endsWith('Advertisement'))
    result.pool = {name: input.poolName, addresses: checked.ranges.map(specForm), advertisement: ad ? `${ad.object.kind}/${ad.object.metadata.name}` : undefined}
  }
  const isSecretCreate = (p: Planned): boolean => p.object.kind === 'Secret' && p.object.metadata.name === Names.memberlistSecret
  if (secret) result.objects.push({kind: 'Secret', name: Names.memberlistSecret, namespace: ns, action: 'kept'})
  if (takeover) {
    result.takeover = {plan: takeover, steps: []}
    if (input.dryRun) result.warnings.push(`--take-over-metallb would delete ${[...takeover.webhooks.map((w) => `ValidatingWebhookConfiguration ${w}`), ...takeover.workloads.map((w) => `${w.kind} ${w.namespace}/${w.name}`)].join(', ')}${takeover.conversionWebhook ? ' and set the bgppeers CRD\'s conversion to None' : ''}, keeping every pool, peer and assigned address`)
  }
  if (input.dryRun) {
    for (const p of manifests) result.objects.push({kind: p.object.kind, name: p.object.metadata.name, namespace: p.object.metadata.namespace, action: isSecretCreate(p) ? 'would-create' : 'would-apply'})
    return {result, manifests}
  }

  if (fixArp) {
    io.note?.('turning on strict ARP in kube-proxy (lbctl prepare --ipvs)')
    await prepareIpvs(kube, {strictARP: true, yes: true, timeoutMs: input.timeoutMs}, {note: io.note, juju: io.juju, now: io.now, sleep: io.sleep})
    result.kubeProxy!.fixed = true
  }
  if (takeover) result.takeover!.steps = await takeOver(kube, takeover, {timeoutMs: input.timeoutMs, note: io.note, now: io.now, sleep: io.sleep})
  // Upgrade order: CRDs, then the controller (ready before the speakers move), then speakers one node at a time.
  const upgrading = deployment !== undefined
  let cr = kube
  for (const p of manifests) {
    if (p.phase === 'speaker' && p.object.kind === 'DaemonSet' && upgrading) {
      io.note?.('waiting for the controller before updating the speakers')
      await waitReady(kube, ns, input.timeoutMs, {note: io.note, now: io.now, sleep: io.sleep}, 'controller')
    }
    if (isSecretCreate(p)) {
      await kube.create(p.object).catch((e: {code?: string}) => {
        if (e.code !== 'ALREADY_EXISTS' && e.code !== 'CONFLICT') throw e
      })
      result.objects.push({kind: 'Secret', name: p.object.metadata.name, namespace: ns, action: 'created'})
      continue
    }
    await cr.apply(p.object)
    result.objects.push({kind: p.object.kind, name: p.object.metadata.name, namespace: p.object.metadata.namespace, action: 'applied'})
    if (p.object.kind === 'CustomResourceDefinition' && !manifests.slice(manifests.indexOf(p) + 1).some((q) => q.object.kind === 'CustomResourceDefinition')) {
      // A fresh client: discovery is cached per client, and the kinds were just created.
      cr = kube.withOptions({})
      await waitServed(cr, input.timeoutMs, io)
    }
  }
  io.note?.(`applied ${count(result.objects.length, 'object')} in namespace ${ns}`)
  if (input.wait) {
    io.note?.('waiting for the controller and every speaker to be ready')
    result.readiness = await waitReady(kube, ns, input.timeoutMs, {note: io.note, now: io.now, sleep: io.sleep})
  }
  return {result, manifests}
}

async function waitServed(kube: Kube, timeoutMs: number, io: InstallIO): Promise<void> {
  const now = io.now ?? Date.now
  const deadline = now() + timeoutMs
  while (!(await kube.withOptions({}).serves(Kinds.IPAddressPool))) {
    if (now() >= deadline) throw problems('CRDS_NOT_ESTABLISHED', `the metallb.io CRDs were created but the API server does not serve them after ${Math.round(timeoutMs / 1000)} s`, 'Check `kubectl get crd ipaddresspools.metallb.io -o yaml` (status.conditions).')
    await (io.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(250)
  }
}

/** The pool (and, when nothing advertises it, the advertisement the mode calls for), checked as `pool set` checks. */
async function planPoolObjects(kube: Kube, input: InstallInput, checked: Checked, crdsServed: boolean): Promise<Array<{object: Manifest; secret?: boolean}>> {
  const ns = input.namespace
  const [pools, services, l2, bgp] = crdsServed
    ? await Promise.all([
        kube.list<IPAddressPool>(Kinds.IPAddressPool, {namespace: ns}).then((r) => r.items),
        kube.list<Service>(Kinds.Service).then((r) => r.items),
        kube.list<L2Advertisement>(Kinds.L2Advertisement, {namespace: ns}).then((r) => r.items),
        kube.list<BGPAdvertisement>(Kinds.BGPAdvertisement, {namespace: ns}).then((r) => r.items),
      ])
    : [[], [], [], []]
  checkOverlapWithPools(input.poolName, checked.ranges!, pools)
  const existing = pools.find((p) => p.metadata.name === input.poolName)
  const plan = planPool({name: input.poolName, namespace: ns, existing, addresses: checked.ranges!.map(specForm), services, force: false})
  // Server-side apply sends the same fields every run (not the defaults read back), so a second run changes nothing.
  const pool: Manifest = {apiVersion: plan.manifest.apiVersion, kind: plan.manifest.kind, metadata: {name: input.poolName, namespace: ns}, spec: {addresses: plan.manifest.spec!.addresses}}
  const out: Array<{object: Manifest}> = [{object: pool}]
  if (advertisementsFor(plan.manifest, l2, bgp).length === 0) {
    const ref = checked.mode === 'l2' ? Kinds.L2Advertisement : Kinds.BGPAdvertisement
    out.push({object: {apiVersion: ref.apiVersion, kind: ref.kind, metadata: {name: input.poolName, namespace: ns, labels: objectLabels()}, spec: {ipAddressPools: [input.poolName]}}})
  }
  return out
}
