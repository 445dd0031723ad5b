/**
 * kube-proxy DaemonSets configured by command-line flags instead of a --config file (hand-made and older installer
 * DaemonSets). kube-proxy ignores every flag but a few when --config is given (kubernetes/kubernetes#107156), so
 * flags decide the mode only without --config; with it, a --proxy-mode flag is dead weight that misleads people.
 * Pure: reads and rewrites the DaemonSet object.
 */
import {settingsFromProxyArgs} from './node-args.js'
import type {DaemonSetLike} from './types.js'

type Container = NonNullable<NonNullable<NonNullable<DaemonSetLike['spec']>['template']>['spec']>['containers'] extends Array<infer C> | undefined ? C : never

const MODE = 'proxy-mode'
const STRICT = 'ipvs-strict-arp'

export interface DaemonSetFlags {
  /** The container that runs kube-proxy. */
  container: string
  /** It is given --config (flags other than a few are then ignored). */
  hasConfig: boolean
  /** --proxy-mode's value ('' when absent: kube-proxy's default, iptables on Linux). */
  mode: string
  /** --ipvs-strict-arp (false when absent). */
  strictARP: boolean
  /** The mode and strict-ARP flags as written, in order, e.g. ["--proxy-mode=iptables"]. */
  written: string[]
  /** kube-proxy is started by a shell command line (`sh -c "kube-proxy --…"`): its flags cannot be read or edited. */
  shell: boolean
}

/** The container whose command or args run kube-proxy (the first container when none says so). */
export function proxyContainer(ds: DaemonSetLike): Container | undefined {
  const cs = ds.spec?.template?.spec?.containers ?? []
  return cs.find((c) => [...(c.command ?? []), ...(c.args ?? [])].some((a) => /(^|\/)kube-proxy$/.test(a))) ?? cs.find((c) => c.name === 'kube-proxy') ?? cs[0]
}

const nameOf = (arg: string): string | undefined => (arg.startsWith('-') ? arg.replace(/^--?/, '').split('=')[0] : undefined)

/** Indexes of the tokens that make up the mode and strict-ARP flags, with their values (Go flag syntax). */
function flagTokens(argv: string[]): Array<{name: string; value?: string; at: number[]}> {
  const out: Array<{name: string; value?: string; at: number[]}> = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const name = nameOf(a)
    if (name !== MODE && name !== STRICT) continue
    const eq = a.indexOf('=')
    if (eq !== -1) out.push({name, value: a.slice(eq + 1), at: [i]})
    // `--proxy-mode ipvs` takes the next token; a bare boolean flag (`--ipvs-strict-arp`) never does.
    else if (name === MODE && i + 1 < argv.length && !argv[i + 1].startsWith('-')) out.push({name, value: argv[i + 1], at: [i, ++i]})
    else out.push({name, at: [i]})
  }
  return out
}

const argvOf = (c: Container): string[] => [...(c.command ?? []), ...(c.args ?? [])]

export function readDaemonSetFlags(ds: DaemonSetLike): DaemonSetFlags | undefined {
  const c = proxyContainer(ds)
  if (!c) return undefined
  const argv = argvOf(c)
  const tokens = flagTokens(argv)
  // The same reading as k3s/RKE2's kube-proxy-arg values, once `--flag value` is joined into `flag=value`.
  const {mode, strictARP} = settingsFromProxyArgs(tokens.map((t) => (t.value === undefined ? t.name : `${t.name}=${t.value}`)))
  return {
    container: c.name,
    hasConfig: argv.some((a) => a === '--config' || a.startsWith('--config=')),
    mode, strictARP,
    written: tokens.map((t) => t.at.map((i) => argv[i]).join(' ')),
    shell: argv.some((a) => /\s/.test(a.trim()) && /(^|[\s/])kube-proxy(\s|$)/.test(a)),
  }
}

/**
 * The DaemonSet with --proxy-mode=ipvs (and --ipvs-strict-arp=true when wanted) in the kube-proxy container, every
 * other flag kept in place: flags not yet as wanted are replaced where they stand (the last occurrence; earlier ones dropped), missing ones appended to the list
 * that holds the flags (args when it has any, otherwise command). Returns a copy; `changed` is false when already so.
 */
export function withIpvsFlags<T extends DaemonSetLike>(ds: T, want: {strictARP?: true}): {ds: T; changed: boolean; before: string[]; after: string[]; field: 'command' | 'args'} {
  const copy = structuredClone(ds)
  const c = proxyContainer(copy)
  if (!c) throw new Error(`DaemonSet ${ds.metadata.name} has no containers`)
  const now = readDaemonSetFlags(copy)!
  // Only what is not yet as wanted is touched: `--proxy-mode ipvs` stays as written, and nothing changes (no
  // rollout) when kube-proxy already runs as wanted.
  const wanted: Array<[string, string]> = [
    ...(now.mode === 'ipvs' ? [] : [[MODE, `--${MODE}=ipvs`] as [string, string]]),
    ...(want.strictARP && !now.strictARP ? [[STRICT, `--${STRICT}=true`] as [string, string]] : []),
  ]
  const field: 'command' | 'args' = c.args?.some((a) => a.startsWith('-')) || (c.args?.length && !c.command?.length) ? 'args' : 'command'
  const before = argvOf(c)
  const edit = (list: string[]): string[] => {
    const tokens = flagTokens(list)
    const drop = new Set<number>()
    const replace = new Map<number, string>()
    for (const [name, text] of wanted) {
      const mine = tokens.filter((t) => t.name === name)
      if (mine.length === 0) continue
      // The last occurrence wins in Go's flag package: put the wanted value there, drop the others.
      const last = mine[mine.length - 1]
      for (const t of mine) for (const i of t.at) drop.add(i)
      drop.delete(last.at[0])
      replace.set(last.at[0], text)
    }
    return list.flatMap((a, i) => (replace.has(i) ? [replace.get(i)!] : drop.has(i) ? [] : [a]))
  }
  if (c.command) c.command = edit(c.command)
  if (c.args) c.args = edit(c.args)
  const present = new Set(flagTokens(argvOf(c)).map((t) => t.name))
  const missing = wanted.filter(([name]) => !present.has(name)).map(([, text]) => text)
  if (missing.length) c[field] = [...(c[field] ?? []), ...missing]
  const after = argvOf(c)
  return {ds: copy, changed: JSON.stringify(before) !== JSON.stringify(after), before, after, field}
}
