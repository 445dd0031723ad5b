// The BGP side of the speaker inside lab node namespaces: one runner process per node (bgp-speaker-main.ts), fed
// hand-built SpeakerState, and the FRR configuration of the router the lab tests and the benchmark use.
import type {ChildProcess} from 'node:child_process'
import {createInterface} from 'node:readline'
import type {BGPSessionStateStatus} from '../../../src/lib/api/types.js'
import type {RouteStatus} from '../../../src/speaker/bgp/routes.js'
import type {ConfigProblem, SpeakerState} from '../../../src/speaker/state.js'
import {bundleEntry} from '../../harness/lab/bundle.js'
import {until} from '../../harness/lab/frr.js'
import type {LabNode} from '../../harness/lab/index.js'

export interface Status {
  t: number
  sessions: BGPSessionStateStatus[]
  routes: RouteStatus[]
  announced: Record<string, string[]>
  problems: ConfigProblem[]
}

export interface Runner {
  child: ChildProcess
  /** The latest status line. */
  last(): Status | undefined
  applied: ConfigProblem[][]
  apply(s: SpeakerState, nodeAddresses: string[]): void
  wait(what: string, pred: (s: Status) => boolean, ms?: number): Promise<Status>
  stop(): Promise<void>
}

export async function runSpeaker(node: LabNode): Promise<Runner> {
  const file = await bundleEntry('test/lab/speaker/bgp-speaker-main.ts')
  const child = node.spawn(process.execPath, [file, node.name])
  let last: Status | undefined
  const applied: ConfigProblem[][] = []
  let err = ''
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-2000)
    // SPEAKER_LOG=1 (with LOG_LEVEL=info|debug) shows the runners' logs while debugging a lab run.
    if (process.env.SPEAKER_LOG) process.stderr.write(d)
  })
  createInterface({input: child.stdout!}).on('line', (l) => {
    const e = JSON.parse(l) as {ev: string} & Status & {problems: ConfigProblem[]}
    if (e.ev === 'status') last = e
    if (e.ev === 'applied') applied.push(e.problems)
  })
  return {
    child, applied, last: () => last,
    apply: (s, nodeAddresses) => child.stdin!.write(JSON.stringify({nodeAddresses, state: {...s, secrets: Object.fromEntries(s.secrets), live: [...s.live]}}) + '\n'),
    wait: (what, pred, ms = 15_000) => until(`${node.name}: ${what} (stderr: ${err.slice(-400)})`, async () => (last && pred(last) ? last : undefined), ms, 10),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const gone = new Promise((r) => child.once('exit', r))
      child.stdin!.write(JSON.stringify({stop: true}) + '\n')
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))])
      if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}

/** FRR as the nodes' iBGP router: MD5, BFD with profile `fast`, ECMP over every node (`maximum-paths ibgp`). */
export function routerConf(o: {asn: number; routerId: string; nodes4: string[]; nodes6?: string[]; password?: string; bfd?: boolean}): {bgp: string; bfd: string} {
  const group = (g: string, extra: string[]) => [` neighbor ${g} peer-group`, ` neighbor ${g} remote-as ${o.asn}`, ` neighbor ${g} timers connect 1`,
    ...(o.password ? [` neighbor ${g} password ${o.password}`] : []), ...extra]
  const bgp = [
    `router bgp ${o.asn}`, ` bgp router-id ${o.routerId}`, ' no bgp ebgp-requires-policy', ' bgp log-neighbor-changes', ' no bgp default ipv4-unicast',
    ...group('nodes', []), ...o.nodes4.flatMap((a) => [` neighbor ${a} peer-group nodes`, ...(o.bfd ? [` neighbor ${a} bfd`, ` neighbor ${a} bfd profile fast`] : [])]),
    ...(o.nodes6?.length ? [...group('nodes6', []), ...o.nodes6.map((a) => ` neighbor ${a} peer-group nodes6`)] : []),
    ' address-family ipv4 unicast', '  neighbor nodes activate', `  maximum-paths ibgp ${o.nodes4.length}`, ' exit-address-family',
    ...(o.nodes6?.length ? [' address-family ipv6 unicast', '  neighbor nodes6 activate', `  maximum-paths ibgp ${o.nodes6.length}`, ' exit-address-family'] : []), '',
  ].join('\n')
  const bfd = ['bfd', ' profile fast', '  receive-interval 100', '  transmit-interval 100', '  detect-multiplier 3', ' !', '!', ''].join('\n')
  return {bgp, bfd}
}
