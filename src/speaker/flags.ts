// The speaker's command line. MetalLB's environment names are accepted too, so its manifests' habits carry over.
// Parsed strictly: a typo in a daemon's flags stops it at start instead of being ignored.
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {DEFAULT_NAMESPACE} from '../lib/api/constants.js'
import {badInput} from '../lib/cli/errors.js'
import {DEFAULT_MEMBER_SELECTOR, parseMemberSelector} from './candidates.js'

export interface SpeakerFlags {
  nodeName: string
  kubeconfig?: string
  context?: string
  namespace: string
  lbClass?: string
  metricsPort: number
  healthPort: number
  memberlistPort: number
  memberlistBindAddress?: string
  memberlistKeyFile?: string
  memberlistPreviousKeyFile?: string
  memberSelector: string
  arpOffload: 'auto' | 'on' | 'off'
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'
}

export const USAGE = `Usage: speaker [flags]
  --node-name NAME                 this node (env METALLB_NODE_NAME or NODE_NAME; required)
  --kubeconfig PATH                kubeconfig (default: in-cluster service account)
  --context NAME                   kubeconfig context
  --namespace NS                   namespace of the metallb.io objects and status (env POD_NAMESPACE; default ${DEFAULT_NAMESPACE})
  --lb-class CLASS                 serve only services with this spec.loadBalancerClass (default: only services without one)
  --metrics-port N                 Prometheus /metrics (default 7472; 0 = any free port)
  --health-port N                  /healthz and /readyz (default 7474; 0 = any free port)
  --memberlist-port N              gossip UDP port (default 7946)
  --memberlist-bind-address IP     gossip address (env METALLB_ML_BIND_ADDR; default: this speaker Pod's IP)
  --memberlist-key-file PATH       gossip key (default $METALLB_ML_SECRET_KEY_PATH/secretkey when that env is set)
  --memberlist-previous-key-file PATH  the previous key, accepted on receive during a rotation
  --member-selector SEL            label selector of speaker Pods (env METALLB_ML_LABELS;
                                   default ${DEFAULT_MEMBER_SELECTOR})
  --arp-offload auto|on|off        answer ARP/NDP in the kernel with XDP (default auto)
  --log-level LEVEL                trace|debug|info|warn|error (default info)`

const STRING_FLAGS = ['node-name', 'kubeconfig', 'context', 'namespace', 'lb-class', 'metrics-port', 'health-port', 'memberlist-port',
  'memberlist-bind-address', 'memberlist-key-file', 'memberlist-previous-key-file', 'member-selector', 'arp-offload', 'log-level']

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

function port(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt
  const n = Number(v)
  if (!/^\d+$/.test(v) || n > 65535) throw badInput('INVALID_FLAG', `--${name} ${v} is not a port number`, 'Pass a number from 0 to 65535 (0 picks a free port).')
  return n
}

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): SpeakerFlags {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {...Object.fromEntries(STRING_FLAGS.map((k) => [k, {type: 'string'}])), help: {type: 'boolean'}} as Record<string, {type: 'string' | 'boolean'}>,
    }).values as Record<string, string | boolean | undefined>
  } catch (err) {
    throw badInput('INVALID_FLAG', (err as Error).message, USAGE)
  }
  if (values.help) throw badInput('HELP', 'speaker: announces service addresses (layer 2 and BGP)', USAGE)
  const str = (k: string): string | undefined => (values[k] as string | undefined) || undefined
  const nodeName = str('node-name') ?? (env.METALLB_NODE_NAME || env.NODE_NAME || undefined)
  if (!nodeName) throw badInput('INVALID_FLAG', 'the node name is missing', 'Pass --node-name NAME or set METALLB_NODE_NAME (in a DaemonSet: fieldRef spec.nodeName).')
  const level = str('log-level') ?? 'info'
  if (!(LEVELS as readonly string[]).includes(level)) throw badInput('INVALID_FLAG', `--log-level ${level} is not one of ${LEVELS.join(', ')}`)
  const offload = str('arp-offload') ?? 'auto'
  if (!['auto', 'on', 'off'].includes(offload)) throw badInput('INVALID_FLAG', `--arp-offload ${offload} is not auto, on or off`)
  const memberSelector = str('member-selector') ?? (env.METALLB_ML_LABELS || DEFAULT_MEMBER_SELECTOR)
  const sel = parseMemberSelector(memberSelector)
  if (sel instanceof Error) throw badInput('INVALID_FLAG', `--member-selector ${memberSelector}: ${sel.message}`, `Write key=value pairs separated by commas, e.g. ${DEFAULT_MEMBER_SELECTOR}.`)
  return {
    nodeName,
    kubeconfig: str('kubeconfig'),
    context: str('context'),
    namespace: str('namespace') ?? (env.POD_NAMESPACE || DEFAULT_NAMESPACE),
    lbClass: str('lb-class'),
    metricsPort: port('metrics-port', str('metrics-port'), 7472),
    healthPort: port('health-port', str('health-port'), 7474),
    memberlistPort: port('memberlist-port', str('memberlist-port'), 7946),
    memberlistBindAddress: str('memberlist-bind-address') ?? (env.METALLB_ML_BIND_ADDR || undefined),
    memberlistKeyFile: str('memberlist-key-file') ?? (env.METALLB_ML_SECRET_KEY_PATH ? join(env.METALLB_ML_SECRET_KEY_PATH, 'secretkey') : undefined),
    memberlistPreviousKeyFile: str('memberlist-previous-key-file'),
    memberSelector,
    arpOffload: offload as SpeakerFlags['arpOffload'],
    logLevel: level as SpeakerFlags['logLevel'],
  }
}
