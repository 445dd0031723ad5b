// The controller's command line and environment (src/lib/daemon/flags.ts does the parsing).
import {hostname} from 'node:os'
import {DEFAULT_NAMESPACE} from '../lib/api/constants.js'
import {type CommonDaemonValues, commonDaemonFlags, commonDaemonValues, daemonUsage, flag, logLevelFlag, parse, parseDaemonFlags} from '../lib/daemon/flags.js'
import type {LogLevel} from '../lib/daemon/log.js'

export interface ControllerFlags extends CommonDaemonValues {
  leaderElect: boolean
  leaseDurationMs: number
  leaseName: string
  identity: string
  logLevel: LogLevel
}

export const SPECS = {
  ...commonDaemonFlags({namespaceHelp: 'namespace of pools, the Lease and ConfigurationState', defaultNamespace: DEFAULT_NAMESPACE, metricsPort: 7472, healthPort: 7473}),
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
    ...commonDaemonValues(f, DEFAULT_NAMESPACE),
    leaderElect: f['leader-elect'],
    leaseDurationMs: Math.round(f['lease-duration']),
    leaseName: f['lease-name'],
    identity: f.identity,
    logLevel: f['log-level'],
  }
}
