import {badInput, LbctlError} from '../errors.js'
import {waitForDaemonSetRollout} from '../kube/rollout.js'
import type {Kube} from '../kube/client.js'
import type {PrepareIO, PrepareOptions} from './prepare.js'
import type {PrepareResult} from './types.js'

/**
 * The step every writing path of `lbctl prepare` shares once it knows the change: show the plan, stop there for
 * --dry-run, otherwise ask — refusing when nobody can answer — unless --yes. True when the change is to be written.
 */
export async function planAndConfirm(result: PrepareResult, opts: PrepareOptions, io: PrepareIO, ask: {change: string; question: string; details: Record<string, unknown>}): Promise<boolean> {
  result.action = 'would-change'
  io.plan?.(result)
  if (opts.dryRun) return false
  if (opts.yes) return true
  if (!io.confirm) {
    throw badInput('CONFIRMATION_REQUIRED', `lbctl prepare would ${ask.change}, and there is no terminal to ask for confirmation`,
      'Confirm it without a terminal, or only look at the change.', ask.details)
  }
  if (!(await io.confirm(ask.question))) throw declined()
  return true
}

export function declined(): LbctlError {
  return new LbctlError('nothing was changed: the change was not confirmed', {code: 'DECLINED', category: 'problems', hint: 'Run again and answer yes.'})
}

/**
 * After a kube-proxy DaemonSet's pod template changed: wait for the rollout of `generation` with progress on stderr,
 * or, under the OnDelete strategy (pods are replaced only when deleted), say what to delete. `what` names what the
 * old pods keep ("configuration", "command line").
 */
export async function followRollout(kube: Kube, ds: {namespace: string; name: string}, generation: number, strategy: string | undefined, result: PrepareResult, opts: PrepareOptions, io: PrepareIO, what: string): Promise<void> {
  if (strategy === 'OnDelete') {
    result.warnings.push(`DaemonSet ${ds.namespace}/${ds.name} uses the OnDelete update strategy, so its pods keep the old ${what} until deleted: \`kubectl -n ${ds.namespace} delete pods -l k8s-app=kube-proxy\` (one node at a time if you prefer)`)
    return
  }
  const p = await waitForDaemonSetRollout(kube, ds.namespace, ds.name, generation, {
    timeoutMs: opts.timeoutMs, now: io.now, sleep: io.sleep,
    onProgress: (x) => io.note?.(`  kube-proxy rollout: ${x.observed ? `${x.updated} of ${x.desired} pods updated, ${x.available} available` : 'waiting for the DaemonSet controller'}`),
  })
  Object.assign(result.restart!, {desired: p.desired, updated: p.updated, available: p.available})
}
