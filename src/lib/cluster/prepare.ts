import {badInput, LbctlError, problems} from '../errors.js'
import type {Kube} from '../kube/client.js'
import {detectCluster} from './detect.js'
import {genericInstructions, k3sInstructions, microk8sInstructions, modeChangeWarnings} from './instructions.js'
import type {JujuRunner} from './juju.js'
import {observeCluster} from './observe.js'
import {prepareCharmed} from './prepare-charmed.js'
import {prepareDaemonSet} from './prepare-daemonset.js'
import {prepareDaemonSetFlags} from './prepare-daemonset-flags.js'
import {arpHazard, readiness} from './readiness.js'
import type {Detection, PrepareResult} from './types.js'

export {arpHazard, readiness}

export interface PrepareOptions {
  /** Turn strict ARP on (default); false leaves it as it is (--no-strict-arp). */
  strictARP: boolean
  dryRun?: boolean
  /** Apply without asking. */
  yes?: boolean
  /** Report only; throws PROBLEMS when kube-proxy is not as wanted. */
  check?: boolean
  jujuModel?: string
  /** How long to wait for the kube-proxy rollout. */
  timeoutMs: number
}

export interface PrepareIO {
  /** Progress for people (stderr). */
  note?: (message: string) => void
  /** Shows the planned change (current, wanted, diff) before asking; called again after a re-read. */
  plan?: (plan: PrepareResult) => void
  /** Asks the user; undefined when nobody can answer (no TTY), which refuses a change without --yes. */
  confirm?: (question: string) => Promise<boolean>
  juju?: JujuRunner
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

export interface Want {
  mode: 'ipvs'
  strictARP?: true
}

/**
 * `lbctl prepare --ipvs`: detect how kube-proxy runs and put it in IPVS mode with strict ARP — by editing the
 * kube-proxy ConfigMap (kubeadm style) or the DaemonSet's flags (when it has no --config), through `juju config` (Charmed Kubernetes), or by printing what to change on
 * the machines (k3s, RKE2, MicroK8s). The doctor calls this with `check: true`.
 */
export async function prepareIpvs(kube: Kube, opts: PrepareOptions, io: PrepareIO = {}): Promise<PrepareResult> {
  const result = await plan(kube, opts, io)
  if (opts.check) return checked(result)
  if (result.action === 'manual' && result.instructions) io.plan?.(result)
  return result
}

/**
 * The state only, for the doctor: never writes, never asks, never throws for "not ready" (see `ready` and
 * `arpHazard`; IPVS without strict ARP is the case that breaks layer-2 announcements).
 */
export async function inspectKubeProxy(kube: Kube, opts: {strictARP?: boolean; jujuModel?: string} = {}, io: Pick<PrepareIO, 'juju'> = {}): Promise<PrepareResult> {
  const result = await plan(kube, {strictARP: opts.strictARP ?? true, jujuModel: opts.jujuModel, check: true, timeoutMs: 1}, io)
  if (result.action !== 'not-applicable') result.action = 'checked'
  return result
}

async function plan(kube: Kube, opts: PrepareOptions, io: PrepareIO): Promise<PrepareResult> {
  if (!(opts.timeoutMs > 0)) throw badInput('BAD_TIMEOUT', `--timeout must be a positive duration`, 'Use e.g. --timeout 5m or --timeout 90s.')
  const want: Want = {mode: 'ipvs', ...(opts.strictARP ? {strictARP: true as const} : {})}
  const warnings: string[] = []
  const det = detectCluster(await observeCluster(kube, warnings))
  const base = baseResult(det, want, opts, warnings)

  let result: PrepareResult
  switch (det.kubeProxy.runs) {
    case 'daemonset':
      if (det.proxyFlags) result = await prepareDaemonSetFlags(kube, det, base, want, opts, io)
      else if (det.configRef) result = await prepareDaemonSet(kube, det, base, want, opts, io)
      else {
        // kube-proxy is started through a shell: say exactly what to add to that command line, and where.
        const {namespace, name} = det.daemonSetRef!
        const flags = `--proxy-mode=ipvs${want.strictARP ? ' --ipvs-strict-arp=true' : ''}`
        result = {...base, action: 'manual', ready: 'unknown', instructions: [{
          where: [`DaemonSet ${namespace}/${name}`],
          commands: [`kubectl -n ${namespace} edit daemonset ${name}   # add ${flags} to the kube-proxy command in its shell command line (or to the file given with --config)`,
            'curl -s http://127.0.0.1:10249/proxyMode   # then, on a node: prints the mode kube-proxy runs in'],
        }]}
      }
      break
    case 'snap':
      result = await prepareCharmed(det, base, want, opts, io)
      break
    case 'embedded':
    case 'static-pod':
    case 'kubelite': {
      result = base
      if (result.ready !== true) {
        result.instructions = det.distribution === 'microk8s' ? microk8sInstructions(det, want) : k3sInstructions(det, det.distribution === 'rke2' ? 'rke2' : 'k3s', want)
        result.action = 'manual'
        const from = det.current?.effectiveMode ?? det.current?.perNode?.find((p) => p.mode !== 'ipvs')?.mode
        if (from !== 'ipvs') result.warnings.push(...modeChangeWarnings(from, 'machines'))
      }
      break
    }
    case 'none':
      result = {...base, action: 'not-applicable', ready: true}
      break
    default:
      result = {...base, action: 'manual', ready: 'unknown', instructions: genericInstructions(want)}
  }
  return result
}

function baseResult(det: Detection, want: Want, opts: PrepareOptions, warnings: string[]): PrepareResult {
  const r: PrepareResult = {
    distribution: det.distribution,
    evidence: det.evidence,
    kubeProxy: det.kubeProxy,
    current: det.current,
    wanted: {mode: 'ipvs', strictARP: want.strictARP ? true : 'unchanged'},
    ready: readiness(det.current, want),
    arpHazard: arpHazard(det.current),
    action: 'unchanged',
    dryRun: !!opts.dryRun,
    changes: [],
    warnings: [...warnings, ...det.warnings],
  }
  return r
}

function checked(result: PrepareResult): PrepareResult {
  if (result.action !== 'not-applicable') result.action = 'checked'
  if (result.ready === true) return result
  const m = result.current
  const now = m?.effectiveMode ? `mode ${m.effectiveMode}, strictARP ${m.strictARP ?? false}` : m?.perNode ? 'nodes differ' : 'not visible through the API'
  if (result.ready === 'unknown') {
    throw new LbctlError(`cannot tell whether kube-proxy runs in IPVS mode with strict ARP: it is configured in ${m?.source ?? 'a place lbctl cannot see'}`, {
      code: 'KUBE_PROXY_UNVERIFIED', category: 'problems', details: result,
      hint: 'Check on a node with `curl -s http://127.0.0.1:10249/proxyMode`, or run `lbctl prepare --ipvs` to see what to change.',
    })
  }
  throw problems('KUBE_PROXY_NOT_READY', `kube-proxy is not ready for the load balancer: ${now} (from ${m?.source ?? 'unknown'}); wanted mode ipvs${result.wanted.strictARP === true ? ' with strictARP true' : ''}${result.arpHazard ? ' — in IPVS mode without strict ARP every node answers ARP for every service address' : ''}`,
    'Run `lbctl prepare --ipvs` (add --dry-run to see the change first).', result)
}
