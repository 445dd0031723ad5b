import {LbctlError} from '../errors.js'
import {unifiedDiff} from './diff.js'
import {modeChangeWarnings} from './instructions.js'
import {jujuArgs, jujuCommandLine, jujuRunner, mergeExtraConfig, PROXY_EXTRA_ARGS, PROXY_EXTRA_CONFIG} from './juju.js'
import {planAndConfirm} from './confirm.js'
import type {PrepareIO, PrepareOptions, Want} from './prepare.js'
import type {Detection, PrepareResult} from './types.js'

/** The seed's value, for when the current one cannot be read. */
const seedValue = (want: Want): string => (want.strictARP ? '{mode: ipvs, ipvs: {strictARP: true}}' : '{mode: ipvs}')

/**
 * Charmed Kubernetes: kube-proxy is a snap on each machine and the charms write its KubeProxyConfiguration from the
 * applications' proxy-extra-config option. Read it with `juju config`, merge the two settings in (keeping every other
 * key), and set it on every application that runs kube-proxy. Without the juju CLI, print the commands instead.
 */
export async function prepareCharmed(det: Detection, result: PrepareResult, want: Want, opts: PrepareOptions, io: PrepareIO): Promise<PrepareResult> {
  const apps = det.jujuApps ?? []
  const model = opts.jujuModel
  const juju = io.juju ?? jujuRunner()
  const get = (app: string) => jujuArgs(model, app, PROXY_EXTRA_CONFIG)
  const set = (app: string, value: string) => jujuArgs(model, app, `${PROXY_EXTRA_CONFIG}=${value}`)

  if (!juju.path) {
    const commands = apps.flatMap((app) => [jujuCommandLine(get(app)), jujuCommandLine(set(app, seedValue(want)))])
    result.juju = {model, apps: [], commands}
    result.ready = 'unknown'
    result.action = 'manual'
    result.instructions = [{
      where: ['a machine where the juju CLI can reach this model'],
      commands,
    }]
    result.warnings.push(`the juju CLI is not on PATH, so lbctl cannot read or set ${PROXY_EXTRA_CONFIG}; the first command of each pair shows the current value — if it has other keys, add mode and ipvs.strictARP to it instead of replacing it`)
    return result
  }

  // Read everything first: a failure here leaves the model untouched.
  const merges = []
  for (const app of apps) {
    io.note?.(`reading ${PROXY_EXTRA_CONFIG} of ${app}${model ? ` in model ${model}` : ''}`)
    const raw = (await juju.run(get(app))).replace(/\r?\n$/, '')
    merges.push({app, raw, ...mergeExtraConfig(app, raw, want)})
  }
  // proxy-extra-args used to be where people put proxy-mode (Charmed Kubernetes' 1.19 notes say to look there for
  // userspace). The charms now start kube-proxy with --config, which makes kube-proxy ignore such flags: say so.
  for (const app of apps) {
    let args: string
    try {
      args = await juju.run(jujuArgs(model, app, PROXY_EXTRA_ARGS))
    } catch {
      continue // an older or newer charm without the option: nothing to warn about
    }
    const dead = args.trim().split(/\s+/).filter((a) => /^(--)?(proxy-mode|ipvs-strict-arp)(=|$)/.test(a))
    if (dead.length)
      result.warnings.push(`${app}'s ${PROXY_EXTRA_ARGS} has ${dead.join(' ')}, which kube-proxy ignores because the charm starts it with --config (${PROXY_EXTRA_CONFIG} decides); remove ${dead.length > 1 ? 'them' : 'it'} so nobody is misled: ${jujuCommandLine(jujuArgs(model, app, `${PROXY_EXTRA_ARGS}=${args.trim().split(/\s+/).filter((a) => !dead.includes(a)).join(' ')}`))}`)
  }
  const perNode = merges.map((m) => ({node: m.app, mode: m.current.mode ?? '', strictARP: m.current.strictARP ?? false}))
  const same = perNode.every((p) => p.mode === perNode[0].mode && p.strictARP === perNode[0].strictARP)
  result.current = same && perNode.length
    ? {mode: perNode[0].mode, effectiveMode: perNode[0].mode || 'iptables', strictARP: perNode[0].strictARP, source: `juju config ${apps.join(', ')} ${PROXY_EXTRA_CONFIG}`}
    : {source: `juju config <app> ${PROXY_EXTRA_CONFIG} (per application)`, perNode: perNode.map((p) => ({...p, mode: p.mode || 'iptables'}))}
  result.ready = merges.every((m) => !m.changed)
  result.arpHazard = perNode.some((p) => p.mode === 'ipvs' && !p.strictARP)
  const changed = merges.filter((m) => m.changed)
  result.juju = {
    model,
    apps: merges.map((m) => ({app: m.app, current: m.raw, wanted: m.value, changed: m.changed})),
    commands: changed.map((m) => jujuCommandLine(set(m.app, m.value))),
  }
  if (!changed.length) {
    result.action = 'unchanged'
    return result
  }
  for (const m of changed) {
    if (m.current.mode !== 'ipvs') result.changes.push({target: `juju application ${m.app}`, field: `${PROXY_EXTRA_CONFIG}.mode`, ...(m.current.mode === undefined ? {} : {from: m.current.mode}), to: 'ipvs'})
    if (want.strictARP && m.current.strictARP !== true) result.changes.push({target: `juju application ${m.app}`, field: `${PROXY_EXTRA_CONFIG}.ipvs.strictARP`, ...(m.current.strictARP === undefined ? {} : {from: m.current.strictARP}), to: true})
  }
  result.diff = unifiedDiff(merges.map((m) => `${m.app}: ${m.raw}`).join('\n'), merges.map((m) => `${m.app}: ${m.value}`).join('\n'), {
    from: `juju config ${PROXY_EXTRA_CONFIG} (current)`, to: `juju config ${PROXY_EXTRA_CONFIG} (wanted)`,
  })
  if (changed.some((m) => m.current.mode !== 'ipvs')) result.warnings.push(...modeChangeWarnings(changed.find((m) => m.current.mode !== 'ipvs')?.current.mode, 'juju'))
  if (opts.check) return result

  const names = changed.map((m) => m.app).join(' and ')
  if (!(await planAndConfirm(result, opts, io, {change: `change ${PROXY_EXTRA_CONFIG} of ${names}`, question: `Set ${PROXY_EXTRA_CONFIG} on ${names}?`, details: {commands: result.juju.commands}}))) return result
  const done: string[] = []
  for (const m of changed) {
    io.note?.(`setting ${PROXY_EXTRA_CONFIG} of ${m.app}`)
    try {
      await juju.run(set(m.app, m.value))
    } catch (err) {
      if (!done.length || !(err instanceof LbctlError)) throw err
      throw new LbctlError(`${err.message} (${done.join(' and ')} ${done.length > 1 ? 'were' : 'was'} already set)`, {
        code: err.code, category: err.category, details: err.details, hint: `Run the remaining command yourself: ${result.juju.commands.slice(done.length).join('; ')}`,
      })
    }
    done.push(m.app)
  }
  result.action = 'changed'

  // Verify: what juju now reports must need no further change.
  const again = []
  for (const m of changed) again.push(mergeExtraConfig(m.app, (await juju.run(get(m.app))).replace(/\r?\n$/, ''), want))
  result.verified = again.every((a) => !a.changed)
  if (result.verified) {
    result.ready = true
    result.arpHazard = false
    result.current = {mode: 'ipvs', effectiveMode: 'ipvs', strictARP: want.strictARP ? true : result.current?.strictARP, source: result.current!.source}
  } else result.warnings.push(`juju does not report the new ${PROXY_EXTRA_CONFIG} yet; check with \`${jujuCommandLine(get(changed[0].app))}\``)
  result.warnings.push('the charms restart kube-proxy on every machine once they have processed the change; watch them with `juju status`')
  return result
}

