// The controller's command line. Parsed strictly: a typo in a daemon's flags should stop it at start, not be ignored.
import {hostname} from 'node:os'
import {parseArgs} from 'node:util'
import {DEFAULT_NAMESPACE} from '../lib/api/constants.js'
import {parseDuration} from '../lib/duration.js'
import {badInput} from '../lib/errors.js'

export interface ControllerFlags {
  kubeconfig?: string
  context?: string
  namespace: string
  lbClass?: string
  /** 0 picks a free port (logged); tests run several controllers on one host. */
  metricsPort: number
  healthPort: number
  leaderElect: boolean
  leaseDurationMs: number
  leaseName: string
  identity: string
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'
}

export const USAGE = `Usage: controller [flags]
  --kubeconfig PATH       kubeconfig to use (default: in-cluster service account, else $KUBECONFIG or ~/.kube/config)
  --context NAME          kubeconfig context
  --namespace NS          namespace of pools, the Lease and ConfigurationState (default $POD_NAMESPACE or ${DEFAULT_NAMESPACE})
  --lb-class CLASS        serve only services with this spec.loadBalancerClass (default: only services without one)
  --metrics-port N        Prometheus /metrics port (default 7472; 0 = any free port)
  --health-port N         /healthz and /readyz port (default 7473; 0 = any free port)
  --leader-elect[=BOOL]   one active replica via a coordination.k8s.io Lease (default true)
  --lease-duration D      lease duration, e.g. 15s, 2500ms, 1m30s or a number of seconds; 1s to 1h (default 15s)
  --lease-name NAME       Lease name (default lbctl-controller)
  --identity ID           leader election identity (default $POD_NAME or host name, plus the process id)
  --log-level LEVEL       trace|debug|info|warn|error (default info)`

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

function port(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw badInput('INVALID_FLAG', `--${name} ${v} is not a port number`, `Pass a number from 0 to 65535 (0 picks a free port).`)
  return n
}

function bool(name: string, v: string | boolean | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt
  if (typeof v === 'boolean') return v
  if (/^(true|1|yes)$/i.test(v)) return true
  if (/^(false|0|no)$/i.test(v)) return false
  throw badInput('INVALID_FLAG', `--${name}=${v} is not a boolean`, `Write --${name}=true or --${name}=false.`)
}

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): ControllerFlags {
  // `--leader-elect=false` is the documented form; node's parseArgs has no optional values, so split it off first.
  let leaderArg: string | boolean | undefined
  const rest: string[] = []
  for (const a of argv) {
    const m = /^--(no-)?leader-elect(?:=(.*))?$/.exec(a)
    if (m) leaderArg = m[1] ? false : m[2] ?? true
    else rest.push(a)
  }
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: {type: 'string'}, context: {type: 'string'}, namespace: {type: 'string'}, 'lb-class': {type: 'string'},
        'metrics-port': {type: 'string'}, 'health-port': {type: 'string'}, 'lease-duration': {type: 'string'},
        'lease-name': {type: 'string'}, identity: {type: 'string'}, 'log-level': {type: 'string'}, help: {type: 'boolean'},
      },
    }).values
  } catch (err) {
    throw badInput('INVALID_FLAG', (err as Error).message, USAGE)
  }
  if (values.help) throw badInput('HELP', 'controller: assigns addresses to LoadBalancer services', USAGE)
  const lease = values['lease-duration'] as string | undefined
  const leaseDurationMs = lease === undefined ? 15_000 : Math.round(parseDuration(lease, {name: '--lease-duration', bare: 's', minMs: 1000, maxMs: 3_600_000}))
  const level = (values['log-level'] as string | undefined) ?? 'info'
  if (!(LEVELS as readonly string[]).includes(level)) throw badInput('INVALID_FLAG', `--log-level ${level} is not one of ${LEVELS.join(', ')}`)
  const str = (k: string): string | undefined => (values[k] as string | undefined) || undefined
  return {
    kubeconfig: str('kubeconfig'),
    context: str('context'),
    namespace: str('namespace') ?? env.POD_NAMESPACE ?? DEFAULT_NAMESPACE,
    lbClass: str('lb-class'),
    metricsPort: port('metrics-port', str('metrics-port'), 7472),
    healthPort: port('health-port', str('health-port'), 7473),
    leaderElect: bool('leader-elect', leaderArg, true),
    leaseDurationMs,
    leaseName: str('lease-name') ?? 'lbctl-controller',
    // The process id makes two processes on one host distinct, while a container restarted in the same pod (pid 1
    // again) is recognised as the holder and takes its lease back without waiting for it to expire.
    identity: str('identity') ?? `${env.POD_NAME || hostname()}_${process.pid}`,
    logLevel: level as ControllerFlags['logLevel'],
  }
}
