// A daemon's command line and environment, from a small typed spec: each flag has a parser, an optional default and
// the environment variables (MetalLB's names included) read when the flag is absent. Parsed strictly: a typo in a
// daemon's flags stops it at start instead of being ignored. The daemon is its own command layer, so errors here
// name the flag or variable.
import {parseDuration, type DurationOptions} from '../duration.js'
import {badInput} from '../errors.js'
import {LOG_LEVELS, type LogLevel} from './log.js'

/** Turns the text of a flag or variable into a value; throws a bad-input LbctlError. `name` is `--flag` or `$VAR`. */
export type Parser<T> = (text: string, name: string) => T

export interface FlagSpec<T> {
  help: string
  /** What --help shows as the value, e.g. PATH; flags without one are booleans (`--x`, `--x=false`, `--no-x`). */
  arg?: string
  parse: Parser<T>
  /** The value when neither the flag nor a variable is given; a function sees the environment. */
  default: T | ((env: NodeJS.ProcessEnv) => T)
  /** Environment variables read, in order, when the flag is absent (empty values count as absent). */
  env?: readonly string[]
  /** How --help describes the default when it is computed. */
  defaultText?: string
}

export type FlagSpecs = Record<string, FlagSpec<unknown>>
export type FlagValues<S extends FlagSpecs> = {[K in keyof S]: S[K] extends FlagSpec<infer T> ? T : never}

/** Declare a flag (for type inference). */
export const flag = <T>(spec: FlagSpec<T>): FlagSpec<T> => spec

const invalid = (message: string, hint?: string) => badInput('INVALID_FLAG', message, hint ?? 'Run with --help for the flags.')

/** Parsers for the common kinds of value. */
export const parse = {
  string: ((text) => text) as Parser<string>,
  /** Go's strconv.ParseBool forms, plus yes/no. */
  bool: ((text, name) => {
    if (/^(1|t|true|yes)$/i.test(text)) return true
    if (/^(0|f|false|no)$/i.test(text)) return false
    throw invalid(`${name}=${text} is not a boolean`, `Write ${name}=true or ${name}=false.`)
  }) as Parser<boolean>,
  /** A TCP/UDP port; 0 picks a free one. */
  port: ((text, name) => {
    const n = Number(text)
    if (!/^\d+$/.test(text.trim()) || n > 65535) throw invalid(`${name} ${text} is not a port number`, 'Pass a number from 0 to 65535 (0 picks a free port).')
    return n
  }) as Parser<number>,
  /** An integer within bounds. */
  int: (min: number, max: number): Parser<number> => (text, name) => {
    const n = Number(text)
    if (!/^-?\d+$/.test(text.trim()) || n < min || n > max) throw invalid(`${name} ${text} is not a whole number from ${min} to ${max}`)
    return n
  },
  /** A duration in src/lib/duration.ts's syntax, in milliseconds. */
  duration: (opts: Omit<DurationOptions, 'name'> = {}): Parser<number> => (text, name) => parseDuration(text, {...opts, name}),
  /** One of a fixed set of words. */
  oneOf: <W extends string>(words: readonly W[]): Parser<W> => (text, name) => {
    if (!(words as readonly string[]).includes(text)) throw invalid(`${name} ${text} is not one of ${words.join(', ')}`)
    return text as W
  },
  /** An address to bind: an IPv4 or IPv6 literal (no brackets), or a host name. */
  bindAddress: ((text, name) => {
    const t = text.trim().replace(/^\[(.*)\]$/, '$1')
    if (!t || /[\s/]/.test(t)) throw invalid(`${name} ${JSON.stringify(text)} is not an address to listen on`, 'Write e.g. 0.0.0.0, ::, 127.0.0.1 or a host name.')
    return t
  }) as Parser<string>,
}

/** The `--log-level` flag every daemon has. */
/** A string flag without a default (undefined when absent). */
export const optionalString = (help: string, arg: string, env?: string[]): FlagSpec<string | undefined> =>
  flag<string | undefined>({help, arg, parse: parse.string, default: undefined, env})

/**
 * The flags every daemon has, spelled once: where the API server is, the namespace, the load balancer class, and
 * the bind address and port of /metrics and of /healthz + /readyz.
 */
export function commonDaemonFlags(o: {namespaceHelp: string; defaultNamespace: string; metricsPort: number; healthPort: number}) {
  return {
    kubeconfig: optionalString('kubeconfig to use (default: in-cluster service account, else $KUBECONFIG or ~/.kube/config)', 'PATH'),
    context: optionalString('kubeconfig context', 'NAME'),
    namespace: flag({help: o.namespaceHelp, arg: 'NS', parse: parse.string, env: ['POD_NAMESPACE'], default: o.defaultNamespace}),
    'lb-class': optionalString('serve only services with this spec.loadBalancerClass (default: only services without one)', 'CLASS'),
    'metrics-bind-address': flag({help: 'address for /metrics', arg: 'ADDR', parse: parse.bindAddress, default: '0.0.0.0'}),
    'metrics-port': flag({help: 'Prometheus /metrics port (0 = any free port)', arg: 'N', parse: parse.port, default: o.metricsPort}),
    'health-bind-address': flag({help: 'address for /healthz and /readyz', arg: 'ADDR', parse: parse.bindAddress, default: '0.0.0.0'}),
    'health-port': flag({help: '/healthz and /readyz port (0 = any free port)', arg: 'N', parse: parse.port, default: o.healthPort}),
  }
}

/** The values of commonDaemonFlags, as the daemons use them (empty strings from the environment count as unset). */
export interface CommonDaemonValues {
  kubeconfig?: string
  context?: string
  namespace: string
  lbClass?: string
  metricsBindAddress: string
  /** 0 picks a free port (logged); tests run several daemons on one host. */
  metricsPort: number
  healthBindAddress: string
  healthPort: number
}

export function commonDaemonValues(f: FlagValues<ReturnType<typeof commonDaemonFlags>>, defaultNamespace: string): CommonDaemonValues {
  return {
    kubeconfig: f.kubeconfig || undefined,
    context: f.context || undefined,
    namespace: f.namespace || defaultNamespace,
    lbClass: f['lb-class'] || undefined,
    metricsBindAddress: f['metrics-bind-address'],
    metricsPort: f['metrics-port'],
    healthBindAddress: f['health-bind-address'],
    healthPort: f['health-port'],
  }
}

export const logLevelFlag = flag<LogLevel>({arg: 'LEVEL', help: LOG_LEVELS.join('|'), parse: parse.oneOf(LOG_LEVELS), default: 'info'})

/** True when the command line asks for help (`-h`, `--help`). */
export const wantsHelp = (argv: readonly string[]): boolean => argv.some((a) => a === '--help' || a === '-h')

/** Parse a command line (`--x v`, `--x=v`, booleans `--x`, `--x=BOOL`, `--no-x`) and the environment. */
export function parseDaemonFlags<S extends FlagSpecs>(specs: S, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): FlagValues<S> {
  const given = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const m = /^--(no-)?([a-z0-9][a-z0-9-]*)(?:=([\s\S]*))?$/.exec(a)
    if (!m) throw invalid(a.startsWith('-') ? `unknown flag ${a}` : `unexpected argument ${JSON.stringify(a)}: this daemon takes flags only`)
    const [, no, name, inline] = m
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined
    if (!spec) throw invalid(`unknown flag --${no ?? ''}${name}`)
    if (spec.arg === undefined) {
      if (no && inline !== undefined) throw invalid(`--no-${name} takes no value`)
      given.set(name, no ? 'false' : inline ?? 'true')
    } else {
      if (no) throw invalid(`unknown flag --no-${name}`)
      let v = inline
      if (v === undefined) {
        if (i + 1 >= argv.length) throw invalid(`--${name} needs a value (${spec.arg})`)
        v = argv[++i]
      }
      given.set(name, v)
    }
  }
  const out: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(specs)) {
    const text = given.get(name)
    if (text !== undefined) {
      out[name] = spec.parse(text, `--${name}`)
      continue
    }
    const fromEnv = spec.env?.find((e) => env[e] !== undefined && env[e] !== '')
    out[name] = fromEnv
      ? spec.parse(env[fromEnv]!, `$${fromEnv}`)
      : typeof spec.default === 'function' ? (spec.default as (e: NodeJS.ProcessEnv) => unknown)(env) : spec.default
  }
  return out as FlagValues<S>
}

/** The --help text: a title and one line per flag with its default and variables. */
export function daemonUsage(title: string, specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `  --${name}${s.arg === undefined ? '[=BOOL]' : ` ${s.arg}`}`
    const dflt = s.defaultText ?? (typeof s.default === 'function' || s.default === undefined || s.default === '' ? undefined : String(s.default))
    const extra = [dflt === undefined ? undefined : `default ${dflt}`, s.env?.length ? `env ${s.env.map((e) => `$${e}`).join(', ')}` : undefined].filter(Boolean)
    return [left, `${s.help}${extra.length ? ` (${extra.join('; ')})` : ''}`] as const
  })
  const w = Math.max(...rows.map(([l]) => l.length)) + 2
  return [title, '', 'Flags:', ...rows.map(([l, r]) => l.padEnd(w) + r)].join('\n')
}
