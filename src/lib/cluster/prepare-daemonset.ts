import {badInput, LbctlError, missing} from '../errors.js'
import type {Kube} from '../kube/client.js'
import {restartDaemonSet} from '../kube/rollout.js'
import {followRollout, planAndConfirm} from './confirm.js'
import {unifiedDiff} from './diff.js'
import {modeChangeWarnings} from './instructions.js'
import {readKubeProxyConfigMap} from './observe.js'
import type {PrepareIO, PrepareOptions, Want} from './prepare.js'
import {arpHazard, readiness} from './readiness.js'
import {editProxyConfig, ProxyConfigError, readProxyConfig} from './proxy-config.js'
import type {ConfigMapLike, Detection, PrepareResult} from './types.js'

/** How often a write that lost a race is re-read, re-diffed and (without --yes) asked about again. */
const MAX_ATTEMPTS = 4

/**
 * kubeadm style: edit `mode` and `ipvs.strictARP` in the ConfigMap's config.conf, write it back with the
 * resourceVersion it was read at, restart the DaemonSet and wait for it, then read it again to verify.
 */
export async function prepareDaemonSet(kube: Kube, det: Detection, result: PrepareResult, want: Want, opts: PrepareOptions, io: PrepareIO): Promise<PrepareResult> {
  const ref = det.configRef!
  const where = `ConfigMap ${ref.namespace}/${ref.name}`
  if (det.configProblem) throw configError(det.configProblem, ref)
  const {namespace: dsNamespace, name: dsName} = det.daemonSetRef!
  const ds = `${dsNamespace}/${dsName}`

  let cm: ConfigMapLike | undefined
  for (let attempt = 1; ; attempt++) {
    cm = await readKubeProxyConfigMap(kube, ref)
    if (!cm) throw configError({code: 'CONFIGMAP_MISSING', message: `${where} ${attempt > 1 ? 'was deleted while lbctl worked on it' : 'does not exist'}`}, ref)
    const text = cm.data?.[ref.key]
    if (text === undefined) throw configError({code: 'CONFIG_KEY_MISSING', message: `${where} has no key ${ref.key}`}, ref)
    let edit
    try {
      edit = editProxyConfig(text, want)
    } catch (err) {
      if (err instanceof ProxyConfigError) throw configError({code: err.code, message: `${where} key ${ref.key} cannot be used: ${err.message}`}, ref)
      throw err
    }
    const settings = readProxyConfig(text).settings
    result.current = {mode: settings.mode, effectiveMode: settings.effectiveMode, strictARP: settings.strictARP, source: `${where}, key ${ref.key}`}
    result.ready = readiness(result.current, want)
    result.arpHazard = arpHazard(result.current)
    if (!edit.changes.length) {
      result.action = 'unchanged'
      result.changes = []
      result.diff = undefined
      return result
    }
    result.changes = edit.changes.map((c) => ({target: `${where} ${ref.key}`, field: c.field, ...(c.from === undefined ? {} : {from: c.from}), to: c.to}))
    result.diff = unifiedDiff(text, edit.text, {from: `${where} ${ref.key} (current)`, to: `${where} ${ref.key} (wanted)`})
    result.warnings = result.warnings.filter((w) => !w.startsWith('kube-proxy leaves') && !w.startsWith('IPVS mode needs'))
    if (settings.effectiveMode !== 'ipvs') result.warnings.push(...modeChangeWarnings(settings.effectiveMode, 'daemonset'))
    if (edit.method === 'reformatted') result.warnings.push(`${ref.key} had a shape lbctl could not edit in place (e.g. JSON or flow style), so it was re-serialised; every setting and comment is kept`)
    if (opts.check) return result

    if (!(await planAndConfirm(result, opts, io, {change: 'change kube-proxy\'s configuration and restart it', question: `Write this to ${where} and restart DaemonSet ${ds}?`, details: {changes: result.changes}}))) return result
    try {
      // PUT with the resourceVersion read above: a change made meanwhile (by a person or kubeadm) fails with 409.
      // kubeadm's component-config hash annotation stays as it was: a mismatch is how kubeadm recognises a
      // user-modified configuration, which `kubeadm upgrade` then keeps instead of regenerating it.
      await kube.replace({...cm, apiVersion: 'v1', kind: 'ConfigMap', data: {...cm.data, [ref.key]: edit.text}})
      break
    } catch (err) {
      if ((err as {code?: string}).code !== 'CONFLICT' || attempt >= MAX_ATTEMPTS) throw err
      io.note?.(`${where} was changed by someone else ${opts.yes ? 'meanwhile' : 'while you were deciding'}; reading it again`)
    }
  }
  result.action = 'changed'

  io.note?.(`restarting DaemonSet ${ds} so kube-proxy reads the new configuration`)
  let restart
  try {
    restart = await restartDaemonSet(kube, dsNamespace, dsName, (io.now ?? Date.now)())
  } catch (err) {
    throw afterWrite(err, `${where} was updated, but restarting DaemonSet ${ds} failed`, `kubectl -n ${dsNamespace} rollout restart daemonset/${dsName}`)
  }
  result.restart = {daemonSet: ds, restartedAt: restart.restartedAt, updateStrategy: restart.updateStrategy}
  await followRollout(kube, det.daemonSetRef!, restart.generation, restart.updateStrategy, result, opts, io, 'configuration')

  const after = await readKubeProxyConfigMap(kube, ref)
  const afterText = after?.data?.[ref.key]
  const s = afterText === undefined ? undefined : (() => {
    try {
      return readProxyConfig(afterText).settings
    } catch {
      return undefined
    }
  })()
  result.verified = !!s && s.effectiveMode === 'ipvs' && (!want.strictARP || s.strictARP)
  if (!result.verified) result.warnings.push(`${where} no longer holds what lbctl wrote (changed again by someone else?); run \`lbctl prepare --check\``)
  else {
    result.current = {mode: s!.mode, effectiveMode: s!.effectiveMode, strictARP: s!.strictARP, source: result.current!.source}
    result.ready = true
    result.arpHazard = false
  }
  return result
}

function configError(p: {code: string; message: string}, ref: {namespace: string; name: string; key: string}): LbctlError {
  const edit = `kubectl -n ${ref.namespace} edit configmap ${ref.name}`
  if (p.code === 'CONFIGMAP_MISSING' || p.code === 'CONFIG_KEY_MISSING') {
    return missing(p.code, `${p.message}; nothing was changed`, `Check how kube-proxy is deployed (\`kubectl -n ${ref.namespace} get daemonset kube-proxy -o yaml\`); kubeadm recreates it with \`kubeadm init phase addon kube-proxy\`.`)
  }
  return badInput(p.code, `${p.message}; nothing was changed`, `Fix the KubeProxyConfiguration with \`${edit}\`, then run lbctl prepare --ipvs again.`)
}

function afterWrite(err: unknown, what: string, fix: string): LbctlError {
  const e = err instanceof LbctlError ? err : undefined
  return new LbctlError(`${what}: ${e?.message ?? String(err)}`, {
    code: e?.code ?? 'RESTART_FAILED', category: e?.category ?? 'problems', cause: err,
    hint: `kube-proxy picks the new configuration up only when restarted: \`${fix}\`.`,
  })
}
