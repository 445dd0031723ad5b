import {accessSync, constants} from 'node:fs'
import {delimiter, join} from 'node:path'
import {execa} from 'execa'
import {isMap, parseDocument} from 'yaml'
import {badInput, LbctlError, missing} from '../errors.js'

/** Charmed Kubernetes' option that is merged into kube-proxy's KubeProxyConfiguration on every machine. */
export const PROXY_EXTRA_CONFIG = 'proxy-extra-config'
/** Extra kube-proxy flags ("key=value key2"); ignored for mode and strict ARP since the charms pass --config. */
export const PROXY_EXTRA_ARGS = 'proxy-extra-args'

export interface ExtraConfigMerge {
  /** The value to set, one line of YAML flow style like the charm's documentation uses. */
  value: string
  changed: boolean
  current: {mode?: string; strictARP?: boolean}
}

/**
 * Merge {mode: ipvs, ipvs: {strictARP: true}} into an application's current proxy-extra-config (YAML, usually flow
 * style), keeping every other key. Throws a BAD_INPUT LbctlError when the current value is not a YAML mapping.
 */
export function mergeExtraConfig(app: string, currentValue: string, want: {strictARP?: true}): ExtraConfigMerge {
  const text = currentValue.trim() === '' ? '{}' : currentValue
  const doc = parseDocument(text)
  if (doc.errors.length || !(isMap(doc.contents) || doc.contents === null)) {
    throw badInput('JUJU_CONFIG_INVALID', `${PROXY_EXTRA_CONFIG} of ${app} is not a YAML mapping: ${JSON.stringify(currentValue)}`,
      `Fix it first: \`juju config ${app} ${PROXY_EXTRA_CONFIG}='{}'\` (or correct the value), then run lbctl prepare --ipvs again.`)
  }
  if (doc.contents === null) doc.contents = doc.createNode({}) as any
  const before = doc.toJS() as Record<string, any>
  const current = {
    mode: typeof before.mode === 'string' ? before.mode : undefined,
    strictARP: typeof before.ipvs?.strictARP === 'boolean' ? before.ipvs.strictARP : undefined,
  }
  if (before.mode !== 'ipvs') doc.set('mode', 'ipvs')
  if (want.strictARP && before.ipvs?.strictARP !== true) {
    if (isMap(doc.get('ipvs', true))) doc.setIn(['ipvs', 'strictARP'], true)
    else doc.set('ipvs', doc.createNode({strictARP: true}))
  }
  const after = doc.toJS()
  const changed = JSON.stringify(after) !== JSON.stringify(before)
  const value = changed ? doc.toString({collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0}).trim() : currentValue
  return {value, changed, current}
}

/** Quote one word for a POSIX shell, so printed commands can be pasted as they are. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

export function jujuArgs(model: string | undefined, app: string, setting: string): string[] {
  return ['config', ...(model ? ['-m', model] : []), app, setting]
}

export function jujuCommandLine(args: string[]): string {
  // Keep `key=value` readable: quote only the value, as the charm's documentation does.
  return ['juju', ...args.map((a) => {
    const eq = a.indexOf('=')
    return eq > 0 && !a.startsWith('-') && /^[\w-]+$/.test(a.slice(0, eq)) ? `${a.slice(0, eq)}=${shellQuote(a.slice(eq + 1))}` : shellQuote(a)
  })].join(' ')
}

/** Runs the juju CLI. Injectable so tests and the doctor can substitute it. */
export interface JujuRunner {
  /** Where the juju executable is; undefined when it is not on PATH. */
  readonly path: string | undefined
  run(args: string[]): Promise<string>
}

/** The first executable called `name` on PATH (what a shell would run). */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const p = join(dir, name)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // not here
    }
  }
  return undefined
}

export function jujuRunner(opts: {env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): JujuRunner {
  const env = opts.env ?? process.env
  const path = findOnPath('juju', env)
  return {
    path,
    async run(args: string[]): Promise<string> {
      if (!path) throw missing('JUJU_MISSING', 'the juju CLI is not on PATH', 'Install it (`sudo snap install juju`) or run the printed commands where juju is.')
      const r = await execa(path, args, {env, extendEnv: false, reject: false, timeout: opts.timeoutMs ?? 120_000, stdin: 'ignore'})
      if (r.exitCode !== 0 || r.timedOut || r.failed) {
        const why = r.timedOut ? `timed out after ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s` : `exited with ${r.exitCode ?? r.signal}`
        const stderr = String(r.stderr ?? '').trim()
        throw new LbctlError(`\`${jujuCommandLine(args)}\` ${why}${stderr ? `: ${stderr}` : ''}`, {
          code: 'JUJU_FAILED',
          category: 'unreachable',
          hint: 'Check that juju can reach the controller and that the model and application names are right (`juju status`).',
          details: {args, exitCode: r.exitCode, stderr},
        })
      }
      return String(r.stdout ?? '')
    },
  }
}
