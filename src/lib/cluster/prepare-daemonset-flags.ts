import {LbctlError} from '../errors.js'
import type {Kube} from '../kube/client.js'
import {rfc3339} from '../api/time.js'
import {DaemonSetKind} from '../kube/rollout.js'
import {followRollout, planAndConfirm} from './confirm.js'
import {readDaemonSetFlags, withIpvsFlags} from './daemonset-flags.js'
import {unifiedDiff} from './diff.js'
import {modeChangeWarnings} from './instructions.js'
import type {PrepareIO, PrepareOptions, Want} from './prepare.js'
import {arpHazard, readiness} from './readiness.js'
import {effectiveMode} from './proxy-config.js'
import type {DaemonSetLike, Detection, FieldChange, PrepareResult} from './types.js'

const MAX_ATTEMPTS = 4

/** The argument list as YAML list lines, the way `kubectl get -o yaml` shows it, for the diff. */
const yamlList = (field: string, argv: string[]): string => [`${field}:`, ...argv.map((a) => `- ${JSON.stringify(a)}`)].join('\n') + '\n'

/**
 * A kube-proxy DaemonSet without --config: set --proxy-mode=ipvs and --ipvs-strict-arp=true in its container's
 * command line, written with the resourceVersion it was read at. The template change itself makes the DaemonSet
 * controller replace every pod, so no restart annotation is needed; lbctl waits for that rollout and verifies.
 */
export async function prepareDaemonSetFlags(kube: Kube, det: Detection, result: PrepareResult, want: Want, opts: PrepareOptions, io: PrepareIO): Promise<PrepareResult> {
  const {namespace, name} = det.daemonSetRef!
  const where = `DaemonSet ${namespace}/${name}`
  let written: DaemonSetLike | undefined
  for (let attempt = 1; ; attempt++) {
    const ds = await kube.get<DaemonSetLike & {apiVersion: string; kind: string}>(DaemonSetKind, name, namespace)
    if (!ds) throw new LbctlError(`${where} ${attempt > 1 ? 'was deleted while lbctl worked on it' : 'does not exist'}; nothing was changed`, {code: 'DAEMONSET_MISSING', category: 'problems', hint: 'Run `lbctl prepare --check` to see how kube-proxy runs now.'})
    const flags = readDaemonSetFlags(ds)
    if (!flags || flags.hasConfig)
      throw new LbctlError(`${where} changed while lbctl worked on it (it now ${flags ? 'reads a --config file' : 'has no containers'}); nothing was changed`, {code: 'CHANGED_MEANWHILE', category: 'problems', hint: 'Run lbctl prepare --ipvs again.'})
    const target = `${where} container ${flags.container}`
    result.current = {mode: flags.mode, effectiveMode: effectiveMode(flags.mode), strictARP: flags.strictARP, source: `command-line flags of ${where}, container ${flags.container}`}
    result.ready = readiness(result.current, want)
    result.arpHazard = arpHazard(result.current)
    const edit = withIpvsFlags(ds, want)
    if (!edit.changed) {
      result.action = 'unchanged'
      result.changes = []
      result.diff = undefined
      return result
    }
    const changes: FieldChange[] = []
    if (flags.mode !== 'ipvs') changes.push({target, field: '--proxy-mode', ...(flags.mode ? {from: flags.mode} : {}), to: 'ipvs'})
    if (want.strictARP && !flags.strictARP) changes.push({target, field: '--ipvs-strict-arp', from: false, to: true})
    result.changes = changes
    result.diff = unifiedDiff(yamlList(edit.field, edit.before), yamlList(edit.field, edit.after), {from: `${target} command line (current)`, to: `${target} command line (wanted)`})
    result.warnings = result.warnings.filter((w) => !w.startsWith('kube-proxy leaves') && !w.startsWith('IPVS mode needs'))
    if (effectiveMode(flags.mode) !== 'ipvs') result.warnings.push(...modeChangeWarnings(effectiveMode(flags.mode), 'daemonset'))
    if (opts.check) return result

    if (!(await planAndConfirm(result, opts, io, {change: 'change kube-proxy\'s command line, which restarts it', question: `Change the command line of ${target} (its pods are replaced)?`, details: {changes: result.changes}}))) return result
    try {
      written = await kube.replace(edit.ds)
      break
    } catch (err) {
      if ((err as {code?: string}).code !== 'CONFLICT' || attempt >= MAX_ATTEMPTS) throw err
      io.note?.(`${where} was changed by someone else ${opts.yes ? 'meanwhile' : 'while you were deciding'}; reading it again`)
    }
  }
  result.action = 'changed'
  const strategy = written.spec?.updateStrategy?.type
  result.restart = {daemonSet: `${namespace}/${name}`, restartedAt: rfc3339((io.now ?? Date.now)()), ...(strategy ? {updateStrategy: strategy} : {})}
  if (strategy !== 'OnDelete') io.note?.(`the new command line replaces every kube-proxy pod of ${where}; waiting`)
  await followRollout(kube, {namespace, name}, written.metadata.generation ?? 0, strategy, result, opts, io, 'command line')
  const after = await kube.get<DaemonSetLike>(DaemonSetKind, name, namespace)
  const f = after && readDaemonSetFlags(after)
  result.verified = !!f && !f.hasConfig && f.mode === 'ipvs' && (!want.strictARP || f.strictARP)
  if (!result.verified) result.warnings.push(`${where} no longer holds what lbctl wrote (changed again by someone else?); run \`lbctl prepare --check\``)
  else {
    result.current = {mode: f!.mode, effectiveMode: 'ipvs', strictARP: f!.strictARP, source: result.current!.source}
    result.ready = true
    result.arpHazard = false
  }
  return result
}
