// The controller's command line and environment (src/lib/daemon/flags.ts does the parsing).
import {hostname} from 'node:os'
import {DEFAULT_NAMESPACE} from '../lib/api/constants.js'
import {daemonUsage, flag, logLevelFlag, parse, parseDaemonFlags} from '../lib/daemon/flags.js'
import type {LogLevel} from '../lib/daemon/log.js'

export interface ControllerFlags {
  kubeconfig?: string
  context?: string
  namespace: string
  lbClass?: string
  metricsBindAddress: string
  /** 0 picks a free port (logged); tests run several controllers on one host. */
  metricsPort: number
  healthBindAddress: string
  healthPort: number
  leaderElect: boolean
  leaseDurationMs: number
  leaseName: string
  identity: string
  logLevel: LogLevel
}

const optional = (help: string, arg: string, env?: string[]) => flag<string | undefined>({help, arg, parse: parse.string, default: undefined, env})

export const SPECS = {
  kubeconfig: optional('kubeconfig to use (default: in-cluster service account, else $KUBECONFIG or ~/.kube/config)', 'PATH'),
  context: optional('kubeconfig context', 'NAME'),
  namespace: flag({help: 'namespace of pools, the Lease and ConfigurationState', arg: 'NS', parse: parse.string, env: ['POD_NAMESPACE'], default: DEFAULT_NAMESPACE}),
  'lb-class': optional('serve only services with this spec.loadBalancerClass (default: only services without one)', 'CLASS'),
  'metrics-bind-address': flag({help: 'address for /metrics', arg: 'ADDR', parse: parse.bindAddress, default: '0.0.0.0'}),
  'metrics-port': flag({help: 'Prometheus /metrics port (0 = any free port)', arg: 'N', parse: parse.port, default: 7472}),
  'health-bind-address': flag({help: 'address for /healthz and /readyz', arg: 'ADDR', parse: parse.bindAddress, default: '0.0.0.0'}),
  'health-port': flag({help: '/healthz and /readyz port (0 = any free port)', arg: 'N', parse: parse.port, default: 7473}),
  'leader-elect': flag({help: 'one active replica via a coordination.k8s.io Lease', parse: parse.bool, default: true}),
  'lease-duration': flag({help: 'lease duration, e.g. 15s, 2500ms, 1m30s or a number of seconds; 1s to 1h', arg: 'D', parse: parse.duration({bare: 's', minMs: 1000, maxMs: 3_600_000}), default: 15_000, defaultText: '15s'}),
  'lease-name': flag({help: 'Lease name', arg: 'NAME', parse: parse.string, default: 'lbctl-controller'}),
  identity: flag({
    help: 'leader election identity', arg: 'ID', parse: parse.string, defaultText: '$POD_NAME or host name, plus the process id',
    // The process id makes two processes on one host distinct, while a container restarted in the same pod (pid 1
    // again) is recognised as the holder and takes its lease back without waiting for it to expire.
    default: (env: NodeJS.ProcessEnv) => `${env.POD_NAME || hostname()}_${process.pid}`,
  }),
  'log-level': logLevelFlag,
}

export const USAGE = daemonUsage('Usage: controller [flags]\n\nAssigns addresses from IPAddressPools to Services of type LoadBalancer.', SPECS)

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): ControllerFlags {
  const f = parseDaemonFlags(SPECS, argv, env)
  return {
    kubeconfig: f.kubeconfig || undefined,
    context: f.context || undefined,
    namespace: f.namespace || DEFAULT_NAMESPACE,
    lbClass: f['lb-class'] || undefined,
    metricsBindAddress: f['metrics-bind-address'],
    metricsPort: f['metrics-port'],
    healthBindAddress: f['health-bind-address'],
    healthPort: f['health-port'],
    leaderElect: f['leader-elect'],
    leaseDurationMs: Math.round(f['lease-duration']),
    leaseName: f['lease-name'],
    identity: f.identity,
    logLevel: f['log-level'],
  }
}
