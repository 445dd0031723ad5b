// Cluster-wide checks: pure functions of the snapshot.
import {anySelectorMatches} from '../api/selectors.js'
import {Labels} from '../api/constants.js'
import {notificationName} from '../bgp/errors.js'
import {findOverlaps, formatRange, intersectRanges, type IPRange} from '../net/index.js'
import {advertisementsFor, poolRanges} from '../pool/usage.js'
import {type ComponentPod, controllerWorkload, imageVersion, speakerWorkload} from './components.js'
import {installedMode, lbNs, sh} from './fixes.js'
import type {Indexes} from './indexes.js'
import {EXPECTED_CRDS} from './kinds.js'
import type {BGPPeerSession, Snapshot} from './snapshot.js'
import type {SpeakerReports} from './speakers.js'
import {check, type Check} from './types.js'

export interface Context {
  s: Snapshot
  pods: ComponentPod[]
  impl: 'lbctl' | 'metallb' | 'unknown'
  /** Nodes with a running, ready speaker. */
  live: Set<string>
  ix: Indexes
  /** What the live speakers report about their nodes (`/v1/l2`), once read; absent in the objects-only checks. */
  speakers?: SpeakerReports
}

const unreadable = (c: Context, resource: string): string | undefined => {
  const u = c.s.unreadable.find((x) => x.resource === resource)
  return u ? (u.why === 'forbidden' ? `you may not read ${resource}${u.namespace ? ` in namespace ${u.namespace}` : ''}` : `the cluster does not serve ${resource}`) : undefined
}

export function accessCheck(c: Context): Check {
  const forbidden = c.s.unreadable.filter((u) => u.why === 'forbidden')
  if (forbidden.length === 0) return check('access.read', 'Read access', 'pass', 'everything the doctor reads was readable')
  const what = forbidden.map((u) => `${u.resource}${u.namespace ? ` (namespace ${u.namespace})` : ' (all namespaces)'}`)
  return check('access.read', 'Read access', 'warn', `you may not read ${what.join(', ')}: the checks that need them were skipped`, {
    evidence: forbidden.map((u) => u.message),
    fix: `kubectl auth can-i --list${c.s.namespace ? ` -n ${sh(c.s.namespace)}` : ''}`,
  })
}

export function crdChecks(c: Context): Check[] {
  const why = unreadable(c, 'customresourcedefinitions.apiextensions.k8s.io')
  if (why) {
    // Without the CRD list, whether the pools could be listed says whether the kinds are there.
    const poolsServed = !c.s.unreadable.some((u) => u.resource === 'ipaddresspools.metallb.io' && u.why === 'not-served')
    return [check('crds.installed', 'metallb.io CRDs', poolsServed ? 'skip' : 'fail', poolsServed ? `${why}; IPAddressPools could be listed, so the kinds are served` : 'the cluster does not serve IPAddressPool: the metallb.io CRDs are not installed',
      poolsServed ? {} : {fix: 'lbctl install --mode l2'})]
  }
  const byName = new Map(c.s.crds.map((d) => [d.metadata.name, d]))
  const missing: string[] = []
  const wrongVersion: string[] = []
  const seen: string[] = []
  for (const e of EXPECTED_CRDS.filter((x) => !x.lbctlOnly)) {
    const d = byName.get(`${e.plural}.${e.group}`)
    if (!d) {
      missing.push(`${e.plural}.${e.group}`)
      continue
    }
    const served = (d.spec?.versions ?? []).filter((v) => v.served !== false).map((v) => v.name)
    seen.push(`${e.plural}.${e.group} (${served.join(', ')})`)
    for (const v of e.versions) if (!served.includes(v)) wrongVersion.push(`${e.plural}.${e.group} does not serve ${v} (serves ${served.join(', ') || 'nothing'})`)
  }
  const core = ['ipaddresspools', 'l2advertisements', 'bgpadvertisements', 'bgppeers'].map((p) => `${p}.metallb.io`)
  const out: Check[] = []
  if (missing.some((m) => core.includes(m)) || wrongVersion.length > 0) {
    out.push(check('crds.installed', 'metallb.io CRDs', 'fail', `${[...missing.map((m) => `${m} is missing`), ...wrongVersion].join('; ')}`, {evidence: seen, fix: `lbctl install --mode ${installedMode(c.s)}`}))
  } else if (missing.length > 0) {
    out.push(check('crds.installed', 'metallb.io CRDs', 'warn', `the status kinds ${missing.join(', ')} are missing (MetalLB older than v0.14?): announcements cannot be checked from objects`, {evidence: seen, fix: 'kubectl get crd -l app.kubernetes.io/part-of'}))
  } else {
    out.push(check('crds.installed', 'metallb.io CRDs', 'pass', `all ${EXPECTED_CRDS.length - 1} metallb.io kinds are served in the expected versions`, {evidence: seen}))
  }
  const mine = byName.get('bgppeersessions.lbctl.io')
  if (mine) out.push(check('crds.lbctl', 'lbctl.io CRDs', 'pass', 'BGPPeerSession is served', {evidence: [`bgppeersessions.lbctl.io (${(mine.spec?.versions ?? []).map((v) => v.name).join(', ')})`]}))
  else if (c.impl === 'lbctl') out.push(check('crds.lbctl', 'lbctl.io CRDs', 'fail', 'bgppeersessions.lbctl.io is missing: BGP session state cannot be written or checked', {fix: `lbctl install --mode ${installedMode(c.s)}`}))
  else out.push(check('crds.lbctl', 'lbctl.io CRDs', 'skip', 'not an lbctl installation: BGP session checks cannot be made (MetalLB leaves session state to FRR)'))
  return out
}

export function kubeProxyCheck(c: Context): Check {
  const title = 'kube-proxy mode and strict ARP'
  const r = c.s.kubeProxy
  if (!r) return check('kube-proxy.strict-arp', title, 'skip', `could not read kube-proxy's configuration: ${c.s.kubeProxyError ?? 'unknown error'}`)
  const cur = r.current
  const evidence = [...(cur ? [`source: ${cur.source}`, `mode: ${cur.effectiveMode || cur.mode || '(default: iptables)'}`, `strictARP: ${cur.strictARP ?? false}`] : []), ...(cur?.perNode ?? []).map((p) => `node ${p.node}: mode ${p.mode}, strictARP ${p.strictARP}`)]
  if (r.arpHazard) {
    return check('kube-proxy.strict-arp', title, 'fail', 'kube-proxy runs in IPVS mode without strict ARP: every node answers ARP for every service address, so layer-2 announcements are ambiguous', {evidence, fix: 'lbctl prepare --ipvs --yes'})
  }
  if (r.kubeProxy.runs === 'none') return check('kube-proxy.strict-arp', title, 'pass', `kube-proxy does not run${r.kubeProxy.replacedBy ? ` (${r.kubeProxy.replacedBy} replaces it)` : ''}`, {evidence})
  if (!cur || (cur.effectiveMode === undefined && !cur.perNode)) {
    return check('kube-proxy.strict-arp', title, 'warn', `cannot see kube-proxy's mode through the API (${r.kubeProxy.description})`, {evidence: [...evidence, ...r.evidence], fix: 'lbctl prepare --check'})
  }
  if (cur.effectiveMode === 'ipvs') return check('kube-proxy.strict-arp', title, 'pass', 'IPVS mode with strict ARP', {evidence})
  return check('kube-proxy.strict-arp', title, 'pass', `kube-proxy runs in ${cur.effectiveMode || 'iptables'} mode, which does not answer ARP for service addresses`, {evidence})
}

export function componentChecks(c: Context): Check[] {
  const out: Check[] = []
  const ns = sh(c.s.namespace)
  const podsUnreadable = unreadable(c, 'pods')
  const ctrl = controllerWorkload(c.s)
  const ctrlPods = c.pods.filter((p) => p.component === 'controller')
  if (podsUnreadable && !ctrl) {
    out.push(check('components.controller', 'Controller', 'skip', podsUnreadable))
  } else if (!ctrl && ctrlPods.length === 0) {
    out.push(check('components.controller', 'Controller', 'fail', `no controller Deployment or pod in namespace ${c.s.namespace}: no service gets an address`, {fix: `lbctl install --mode ${installedMode(c.s)}`}))
  } else {
    const ready = ctrl ? (ctrl.status?.readyReplicas ?? 0) : ctrlPods.filter((p) => p.ready).length
    const evidence = [...(ctrl ? [`Deployment ${c.s.namespace}/${ctrl.metadata.name}: ${ctrl.status?.readyReplicas ?? 0}/${ctrl.spec?.replicas ?? 1} ready`] : []), ...ctrlPods.map((p) => `pod ${p.name}: ${p.phase}${p.ready ? ', ready' : ', not ready'}${p.node ? ` on ${p.node}` : ''}`)]
    out.push(ready > 0
      ? check('components.controller', 'Controller', 'pass', 'the controller is ready', {evidence})
      : check('components.controller', 'Controller', 'fail', 'the controller is not ready: no service gets an address', {evidence, fix: `kubectl -n ${ns} describe deployment ${sh(ctrl?.metadata.name ?? 'controller')}`}))
  }

  const ds = speakerWorkload(c.s)
  const speakers = c.pods.filter((p) => p.component === 'speaker')
  if (podsUnreadable && !ds) {
    out.push(check('speakers.running', 'Speakers', 'skip', podsUnreadable))
  } else if (!ds && speakers.length === 0) {
    out.push(check('speakers.running', 'Speakers', 'fail', `no speaker DaemonSet or pod in namespace ${c.s.namespace}: no address is announced`, {fix: `lbctl install --mode ${installedMode(c.s)}`}))
  } else {
    const notReady = speakers.filter((p) => !p.ready)
    const desired = ds?.status?.desiredNumberScheduled
    const readyN = ds?.status?.numberReady
    const evidence = [...(ds ? [`DaemonSet ${c.s.namespace}/${ds.metadata.name}: ${readyN ?? 0}/${desired ?? 0} ready`] : []), ...speakers.map((p) => `pod ${p.name} on ${p.node ?? '(unscheduled)'}: ${p.phase}${p.ready ? ', ready' : ', not ready'}`)]
    const short = desired !== undefined && readyN !== undefined && readyN < desired
    if (notReady.length > 0 || short) {
      const first = notReady[0]
      out.push(check('speakers.running', 'Speakers', 'fail', notReady.length > 0
        ? `speaker not running on ${notReady.map((p) => p.node ?? p.name).join(', ')}: addresses elected there are not announced`
        : `${readyN}/${desired} speakers ready`, {evidence, fix: first ? `kubectl -n ${ns} describe pod ${sh(first.name)}` : `kubectl -n ${ns} describe daemonset ${sh(ds!.metadata.name)}`}))
    } else {
      out.push(check('speakers.running', 'Speakers', 'pass', `${speakers.length} speaker${speakers.length === 1 ? '' : 's'} ready`, {evidence}))
    }
  }

  const versions = new Map<string, string[]>()
  for (const p of c.pods) {
    const v = imageVersion(p.image)
    if (v) versions.set(v, [...(versions.get(v) ?? []), p.name])
  }
  if (versions.size > 1) {
    out.push(check('components.version', 'One version', 'warn', `the components run ${versions.size} versions: ${[...versions.keys()].join(', ')}`, {
      evidence: [...versions].map(([v, ps]) => `${v}: ${ps.join(', ')}`), fix: `kubectl -n ${ns} get pods -o wide`,
    }))
  } else if (versions.size === 1) {
    out.push(check('components.version', 'One version', 'pass', `every component runs ${[...versions.keys()][0]}`, {evidence: c.s.install?.data?.version ? [`lbctl-install: version ${c.s.install.data.version}`] : []}))
  } else out.push(check('components.version', 'One version', 'skip', 'no component pods seen'))

  out.push(configurationCheck(c))
  return out
}

function configurationCheck(c: Context): Check {
  const title = 'Configuration accepted'
  const why = unreadable(c, 'configurationstates.metallb.io')
  if (why) return check('components.configuration', title, 'skip', why)
  const invalid = c.s.configStates.filter((s) => s.status?.result === 'Invalid')
  const evidence = c.s.configStates.map((s) => `ConfigurationState ${s.metadata.name}: ${s.status?.result ?? 'Unknown'}${s.status?.errorSummary ? ` — ${s.status.errorSummary}` : ''}`)
  const expected = ['controller', ...[...c.live].map((n) => `speaker-${n}`)]
  const absent = c.impl === 'lbctl' ? expected.filter((n) => !c.s.configStates.some((s) => s.metadata.name === n)) : []
  if (invalid.length > 0) {
    return check('components.configuration', title, 'fail', `${invalid.map((s) => s.metadata.name).join(', ')} rejected the configuration (running on the last valid one): ${invalid[0].status?.errorSummary ?? 'no summary'}`, {
      evidence, fix: `kubectl -n ${sh(c.s.namespace)} get configurationstates ${sh(invalid[0].metadata.name)} -o yaml`,
    })
  }
  if (absent.length > 0) return check('components.configuration', title, 'warn', `no ConfigurationState from ${absent.join(', ')}`, {evidence, fix: `kubectl -n ${sh(c.s.namespace)} get configurationstates`})
  if (c.s.configStates.length === 0) return check('components.configuration', title, 'skip', 'no ConfigurationState objects (MetalLB before v0.14.9 does not write them)')
  return check('components.configuration', title, 'pass', `${c.s.configStates.length} component${c.s.configStates.length === 1 ? '' : 's'} report a valid configuration`, {evidence})
}

export function poolChecks(c: Context): Check[] {
  const out: Check[] = []
  const parsed = c.s.pools.map((p) => ({pool: p, ranges: poolRanges(p)}))
  const items = parsed.flatMap((p) => p.ranges.ranges.map((range) => ({range, pool: p.pool.metadata.name})))
  const overlaps = findOverlaps(items).filter(([a, b]) => a.pool !== b.pool)
  if (overlaps.length > 0) {
    const ev = overlaps.map(([a, b]) => `pools ${a.pool} and ${b.pool} share ${formatRange(intersectRanges(a.range, b.range) as IPRange)}`)
    out.push(check('pools.overlap', 'Pools do not overlap', 'fail', `${overlaps.length} overlap${overlaps.length === 1 ? '' : 's'} between pools: ${ev[0]}`, {evidence: ev, fix: `lbctl pool list${lbNs(c.s)}`}))
  } else out.push(check('pools.overlap', 'Pools do not overlap', 'pass', `${c.s.pools.length} pool${c.s.pools.length === 1 ? '' : 's'}, no overlap`))

  for (const p of c.s.pools) {
    const by = advertisementsFor(p, c.s.l2, c.s.bgpAdvertisements)
    if (by.length === 0) out.push(poolNotAdvertised(c, p.metadata.name))
  }
  return out
}

/** A pool selected by no advertisement; the fix creates one with lbctl pool set (addresses unchanged). */
export function poolNotAdvertised(c: Context, pool: string, subject?: string): Check {
  const p = c.s.pools.find((x) => x.metadata.name === pool)
  const addrs = (p?.spec?.addresses ?? []).join(', ')
  const mode = installedMode(c.s)
  return check('advertisement.pool-selected', 'Pool advertised', 'fail', `pool ${pool} is selected by no L2Advertisement or BGPAdvertisement: its addresses are assigned but never announced`, {
    subject: subject ?? `IPAddressPool ${c.s.namespace}/${pool}`,
    evidence: [`L2Advertisements: ${c.s.l2.map((a) => a.metadata.name).join(', ') || 'none'}`, `BGPAdvertisements: ${c.s.bgpAdvertisements.map((a) => a.metadata.name).join(', ') || 'none'}`],
    fix: `lbctl pool set ${sh(addrs)} --name ${sh(pool)} --advertise ${mode}${lbNs(c.s)}`,
  })
}

/** Advertisements whose node selectors match no node with a live speaker. */
export function advertisementNodeChecks(c: Context): Check[] {
  const out: Check[] = []
  for (const [kind, list] of [['L2Advertisement', c.s.l2], ['BGPAdvertisement', c.s.bgpAdvertisements]] as const) {
    for (const a of list) {
      const r = advertisementNodes(c, a.spec?.nodeSelectors)
      if (r.nodes.length === 0) out.push(noNodesCheck(c, kind, a.metadata.name, a.spec?.nodeSelectors, r.why))
    }
  }
  return out
}

export function advertisementNodes(c: Context, sels: unknown[] | undefined): {nodes: string[]; why: string} {
  const matching = c.s.nodes.filter((n) => !sels || sels.length === 0 || anySelectorMatches(sels as never, n.metadata.labels))
  // The election's candidates (API-COMPAT.md): not excluded from load balancers, network available, a live speaker.
  const eligible = matching.filter((n) => n.metadata.labels?.[Labels.excludeFromLB] === undefined)
  const reachable = eligible.filter((n) => !n.status?.conditions?.some((x) => x.type === 'NetworkUnavailable' && x.status === 'True'))
  const live = reachable.filter((n) => c.live.has(n.metadata.name))
  const why = matching.length === 0 ? 'its nodeSelectors match no node'
    : eligible.length === 0 ? `every node it selects is labelled ${Labels.excludeFromLB}`
    : reachable.length === 0 ? 'every node it selects has the condition NetworkUnavailable' : 'no node it selects has a running speaker'
  return {nodes: live.map((n) => n.metadata.name), why}
}

export function noNodesCheck(c: Context, kind: string, name: string, sels: unknown, why: string, subject?: string): Check {
  return check('advertisement.nodes', 'Advertisement has nodes', 'fail', `${kind} ${name}: ${why}, so nothing announces its pools`, {
    subject: subject ?? `${kind} ${c.s.namespace}/${name}`,
    evidence: [`nodeSelectors: ${JSON.stringify(sels ?? [])}`, `nodes: ${c.s.nodes.map((n) => `${n.metadata.name} ${JSON.stringify(n.metadata.labels ?? {})}${c.live.has(n.metadata.name) ? '' : ' (no running speaker)'}`).join('; ') || 'none'}`],
    fix: 'kubectl get nodes --show-labels',
  })
}

/** Decoded last error of a session: "received NOTIFICATION 2/2 OPEN Message Error: Bad Peer AS (…)". */
export function describeSessionError(x: BGPPeerSession): string | undefined {
  const e = x.status?.lastError
  if (!e) return undefined
  const notif = e.code !== undefined && e.code > 0 ? `NOTIFICATION ${notificationName(e.code, e.subcode ?? 0)}` : undefined
  const dir = e.direction === 'received' ? 'received ' : e.direction === 'sent' ? 'sent ' : ''
  return [notif ? `${dir}${notif}` : undefined, e.message, e.time ? `at ${e.time}` : undefined].filter(Boolean).join(' — ')
}

/** Each BGPPeer: a session per node it selects with a live speaker, Established. */
export function peerChecks(c: Context): Check[] {
  if (c.s.peers.length === 0) return []
  const why = unreadable(c, 'bgppeersessions.lbctl.io')
  if (why || c.impl !== 'lbctl') {
    return [check('bgp.sessions', 'BGP sessions', 'skip', why && c.impl === 'lbctl' ? why : 'session state is not in the API on upstream MetalLB (FRR keeps it): check with `vtysh -c "show bgp summary"` in a speaker pod')]
  }
  const out: Check[] = []
  for (const peer of c.s.peers) {
    const r = peerSessions(c, peer.metadata.name)
    if (r.nodes.length === 0) continue
    if (r.down.length > 0 || r.missing.length > 0) {
      const first = r.down[0]
      const err = first ? describeSessionError(first) : undefined
      out.push(check('bgp.sessions', 'BGP sessions', 'fail', `BGPPeer ${peer.metadata.name}: ${[...r.down.map((x) => `session from ${x.status?.node} is ${x.status?.state ?? 'unknown'}`), ...r.missing.map((n) => `no session from ${n}`)].join('; ')}${err ? `; last error: ${err}` : ''}`, {
        subject: `BGPPeer ${c.s.namespace}/${peer.metadata.name}`,
        evidence: [`peerAddress ${peer.spec?.peerAddress ?? peer.spec?.interface ?? '?'}, peerASN ${peer.spec?.peerASN ?? peer.spec?.dynamicASN ?? '?'}, myASN ${peer.spec?.myASN}`, ...r.down.map((x) => `${x.metadata.name}: ${x.status?.state ?? 'unknown'}${describeSessionError(x) ? ` — ${describeSessionError(x)}` : ''}`)],
        fix: `kubectl -n ${sh(c.s.namespace)} get bgppeersessions -l lbctl.io/peer=${sh(peer.metadata.name)} -o yaml`,
      }))
    } else {
      out.push(check('bgp.sessions', 'BGP sessions', 'pass', `BGPPeer ${peer.metadata.name}: Established from ${r.up.map((x) => x.status?.node).join(', ')}`, {subject: `BGPPeer ${c.s.namespace}/${peer.metadata.name}`}))
    }
  }
  return out
}

export function peerSessions(c: Context, peer: string, onlyNode?: string): {nodes: string[]; up: BGPPeerSession[]; down: BGPPeerSession[]; missing: string[]} {
  const p = c.s.peers.find((x) => x.metadata.name === peer)
  const sels = p?.spec?.nodeSelectors
  const nodes = c.s.nodes.filter((n) => (!sels || sels.length === 0 || anySelectorMatches(sels, n.metadata.labels)) && c.live.has(n.metadata.name) && (!onlyNode || n.metadata.name === onlyNode)).map((n) => n.metadata.name)
  const mine = c.s.sessions.filter((x) => (x.status?.peer ?? x.metadata.labels?.['lbctl.io/peer']) === peer)
  const sessionOf = (n: string) => mine.find((x) => (x.status?.node ?? x.metadata.labels?.['lbctl.io/node']) === n)
  const up = nodes.map(sessionOf).filter((x): x is BGPPeerSession => x?.status?.state === 'Established')
  const down = nodes.map(sessionOf).filter((x): x is BGPPeerSession => x !== undefined && x.status?.state !== 'Established')
  const missing = nodes.filter((n) => !sessionOf(n))
  return {nodes, up, down, missing}
}

export function nodeChecks(c: Context): Check[] {
  const excluded = c.s.nodes.filter((n) => n.metadata.labels?.[Labels.excludeFromLB] !== undefined).map((n) => n.metadata.name)
  if (excluded.length === 0) return [check('nodes.excluded', 'Nodes excluded from load balancers', 'pass', 'no node is excluded')]
  const all = excluded.length === c.s.nodes.length
  return [check('nodes.excluded', 'Nodes excluded from load balancers', all ? 'fail' : 'warn', `${all ? 'every node is' : `${excluded.join(', ')} ${excluded.length === 1 ? 'is' : 'are'}`} labelled ${Labels.excludeFromLB}: no address is announced from ${all ? 'anywhere' : excluded.length === 1 ? 'it' : 'them'}`, {
    evidence: excluded.map((n) => `node ${n}`), fix: `kubectl label node ${sh(excluded[0])} ${Labels.excludeFromLB}-`,
  })]
}

export function leftoverChecks(c: Context): Check[] {
  const out: Check[] = []
  const why = unreadable(c, 'validatingwebhookconfigurations.admissionregistration.k8s.io')
  const metallb = c.s.webhooks.filter((w) => /metallb/i.test(w.metadata.name) || (w.webhooks ?? []).some((h) => /metallb\.io/.test(h.name)))
  const stale = metallb.filter((w) => (w.webhooks ?? []).some((h) => h.clientConfig?.service && !c.s.webhookServices.has(`${h.clientConfig.service.namespace}/${h.clientConfig.service.name}`)))
  if (why) out.push(check('leftovers.webhook', 'No stale MetalLB webhook', 'skip', why))
  else if (stale.length > 0) {
    const w = stale[0]
    const svc = (w.webhooks ?? []).map((h) => h.clientConfig?.service).find((x) => x)!
    out.push(check('leftovers.webhook', 'No stale MetalLB webhook', 'fail', `ValidatingWebhookConfiguration ${w.metadata.name} sends metallb.io objects to Service ${svc.namespace}/${svc.name}, which does not exist: the API server refuses every pool and advertisement change`, {
      subject: `ValidatingWebhookConfiguration ${w.metadata.name}`,
      evidence: stale.map((x) => `${x.metadata.name}: ${(x.webhooks ?? []).map((h) => `${h.name} → ${h.clientConfig?.service ? `${h.clientConfig.service.namespace}/${h.clientConfig.service.name}` : h.clientConfig?.url}`).join(', ')}`),
      fix: `kubectl delete validatingwebhookconfiguration ${sh(w.metadata.name)}`,
    }))
  } else out.push(check('leftovers.webhook', 'No stale MetalLB webhook', 'pass', metallb.length ? `${metallb.length} MetalLB webhook configuration(s), their services exist` : 'no MetalLB webhook configuration'))

  if (c.s.legacyConfig) {
    out.push(check('leftovers.legacy-config', 'No legacy config ConfigMap', 'warn', `ConfigMap ${c.s.namespace}/config (MetalLB ≤ v0.12 format) is present; it is ignored by MetalLB ≥ v0.13 and by lbctl`, {
      evidence: [`keys: ${Object.keys(c.s.legacyConfig.data ?? {}).join(', ') || 'none'}`], fix: `kubectl -n ${sh(c.s.namespace)} delete configmap config`,
    }))
  } else out.push(check('leftovers.legacy-config', 'No legacy config ConfigMap', 'pass', 'no legacy config ConfigMap'))
  return out
}
