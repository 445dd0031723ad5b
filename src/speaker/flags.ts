// The speaker's command line and environment (src/lib/daemon/flags.ts does the parsing). MetalLB's environment names
// are accepted too, so its manifests' habits carry over.
import {join} from 'node:path'
import {DEFAULT_NAMESPACE} from '../lib/api/constants.js'
import {type CommonDaemonValues, commonDaemonFlags, commonDaemonValues, daemonUsage, flag, logLevelFlag, optionalString, parse, parseDaemonFlags} from '../lib/daemon/flags.js'
import type {LogLevel} from '../lib/daemon/log.js'
import {badInput} from '../lib/errors.js'
import {DEFAULT_MEMBER_SELECTOR, parseMemberSelector} from './candidates.js'
import {type MembershipTimers, resolveTimers} from './membership/options.js'
import {DEFAULT_KEY_GRACE_MS} from './membership/rotation.js'

export interface SpeakerFlags extends CommonDaemonValues {
  nodeName: string
  memberlistPort: number
  memberlistBindAddress?: string
  memberlistKeyFile?: string
  memberlistPreviousKeyFile?: string
  /** One-step key rotation: how long the old key is still sent with, then still accepted (ms). */
  memberlistKeyGraceMs: number
  /** Gossip timers given on the command line (the rest default in src/speaker/membership/options.ts). */
  memberlistTimers: Partial<MembershipTimers>
  memberSelector: string
  diagnostics: boolean
  diagnosticsBindAddress: string
  diagnosticsPort: number
  diagnosticsCertFile?: string
  diagnosticsKeyFile?: string
  arpOffload: 'auto' | 'on' | 'off'
  logLevel: LogLevel
}

const optional = optionalString

const selector = (text: string, name: string): string => {
  const sel = parseMemberSelector(text)
  if (sel instanceof Error) throw badInput('INVALID_FLAG', `${name} ${text}: ${sel.message}`, `Write key=value pairs separated by commas, e.g. ${DEFAULT_MEMBER_SELECTOR}.`)
  return text
}

export const SPECS = {
  'node-name': optional('this node (in a DaemonSet: fieldRef spec.nodeName); required', 'NAME', ['METALLB_NODE_NAME', 'NODE_NAME']),
  ...commonDaemonFlags({namespaceHelp: 'namespace of the metallb.io objects and the status written', defaultNamespace: DEFAULT_NAMESPACE, metricsPort: 7472, healthPort: 7474}),
  'memberlist-port': flag({help: 'gossip UDP port', arg: 'N', parse: parse.port, default: 7946}),
  'memberlist-bind-address': flag<string | undefined>({help: 'gossip address (in a DaemonSet: fieldRef status.podIP)', arg: 'IP', parse: parse.bindAddress, default: undefined, env: ['METALLB_ML_BIND_ADDR']}),
  'memberlist-key-file': flag<string | undefined>({help: 'the gossip key (Secret memberlist, key secretkey)', arg: 'PATH', parse: parse.string, defaultText: '$METALLB_ML_SECRET_KEY_PATH/secretkey when that is set',
    default: (env) => (env.METALLB_ML_SECRET_KEY_PATH ? join(env.METALLB_ML_SECRET_KEY_PATH, 'secretkey') : undefined)}),
  'memberlist-previous-key-file': optional('the previous gossip key, accepted on receive during a rotation', 'PATH'),
  'memberlist-key-grace': flag({help: 'after secretkey changes: send with the old key this long, then accept it this long (≥ the time kubelet takes to update the Secret on every node)', arg: 'D',
    parse: parse.duration({minMs: 0, maxMs: 3_600_000}), default: DEFAULT_KEY_GRACE_MS, defaultText: '3m'}),
  'memberlist-probe-interval': flag<number | undefined>({help: 'gossip: one direct probe per interval (default 125ms; detection ≈ 2 intervals + suspicion)', arg: 'D',
    parse: parse.duration({minMs: 5, maxMs: 60_000}), default: undefined}),
  'memberlist-probe-timeout': flag<number | undefined>({help: 'gossip: wait for the direct ack before asking others (default 40ms; < the interval)', arg: 'D',
    parse: parse.duration({minMs: 1, maxMs: 60_000}), default: undefined}),
  'memberlist-indirect-checks': flag<number | undefined>({help: 'gossip: members asked to probe indirectly (default 3)', arg: 'N', parse: parse.int(0, 16), default: undefined}),
  'memberlist-suspicion-mult': flag<number | undefined>({help: 'gossip: suspicion timeout in probe intervals, × log10 of the members past 10 (default 3)', arg: 'N', parse: parse.int(1, 100), default: undefined}),
  'member-selector': flag({help: 'label selector of speaker Pods (the members)', arg: 'SEL', parse: selector, env: ['METALLB_ML_LABELS'], default: DEFAULT_MEMBER_SELECTOR}),
  diagnostics: flag({help: 'serve the HTTPS diagnostics endpoint (TokenReview + SubjectAccessReview)', parse: parse.bool, default: true}),
  'diagnostics-bind-address': flag({help: 'address for the diagnostics endpoint', arg: 'ADDR', parse: parse.bindAddress, default: '0.0.0.0'}),
  'diagnostics-port': flag({help: 'diagnostics HTTPS port (0 = any free port)', arg: 'N', parse: parse.port, default: 7473}),
  'diagnostics-cert-file': optional('TLS certificate for diagnostics (default: self-signed, made at start)', 'PATH'),
  'diagnostics-key-file': optional('TLS key for diagnostics', 'PATH'),
  'arp-offload': flag({help: 'answer ARP/NDP in the kernel with XDP', arg: 'auto|on|off', parse: parse.oneOf(['auto', 'on', 'off'] as const), default: 'auto' as const}),
  'log-level': logLevelFlag,
}

export const USAGE = daemonUsage('Usage: speaker [flags]\n\nAnnounces the addresses of LoadBalancer services from this node (layer 2 and BGP).', SPECS)

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): SpeakerFlags {
  const f = parseDaemonFlags(SPECS, argv, env)
  const nodeName = f['node-name']
  if (Boolean(f['diagnostics-cert-file']) !== Boolean(f['diagnostics-key-file'])) {
    throw badInput('INVALID_FLAG', '--diagnostics-cert-file and --diagnostics-key-file go together', 'Pass both, or neither for a self-signed certificate.')
  }
  const timers = {probeIntervalMs: f['memberlist-probe-interval'], probeTimeoutMs: f['memberlist-probe-timeout'],
    indirectChecks: f['memberlist-indirect-checks'], suspicionMult: f['memberlist-suspicion-mult']}
  // Checked here, so a bad combination stops the speaker at start with the timer named (bad input, exit 2).
  resolveTimers(timers)
  if (!nodeName) throw badInput('INVALID_FLAG', 'the node name is missing', 'Pass --node-name NAME or set METALLB_NODE_NAME (in a DaemonSet: fieldRef spec.nodeName).')
  return {
    nodeName,
    ...commonDaemonValues(f, DEFAULT_NAMESPACE),
    memberlistPort: f['memberlist-port'],
    memberlistBindAddress: f['memberlist-bind-address'],
    memberlistKeyFile: f['memberlist-key-file'] || undefined,
    memberlistPreviousKeyFile: f['memberlist-previous-key-file'] || undefined,
    memberlistKeyGraceMs: f['memberlist-key-grace'],
    memberlistTimers: Object.fromEntries(Object.entries(timers).filter(([, v]) => v !== undefined)),
    memberSelector: f['member-selector'],
    diagnostics: f.diagnostics,
    diagnosticsBindAddress: f['diagnostics-bind-address'],
    diagnosticsPort: f['diagnostics-port'],
    diagnosticsCertFile: f['diagnostics-cert-file'] || undefined,
    diagnosticsKeyFile: f['diagnostics-key-file'] || undefined,
    arpOffload: f['arp-offload'],
    logLevel: f['log-level'],
  }
}
