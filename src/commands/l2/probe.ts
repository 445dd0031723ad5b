import {Args, Flags} from '@oclif/core'
import {LbctlCommand, outputFlag} from '../../lib/cli/base.js'
import {conflict, problems} from '../../lib/cli/errors.js'
import {withResult} from '../../lib/errors.js'
import {parseDuration} from '../../lib/duration.js'
import type {ProbeAddressResult, ProbeAnswer, ProbeResult} from '../../lib/l2/probe.js'

export default class L2Probe extends LbctlCommand<typeof L2Probe> {
  static override description = 'Send ARP (IPv4) or neighbor solicitations (IPv6) for addresses on a segment and list every MAC that answers.\n' +
    'One answer: announced (exit 0). None: not announced (exit 1). More than one: conflict (exit 6) — strict ARP off, a split brain, or an address used twice.\n' +
    'Needs CAP_NET_RAW (root).'

  static override examples = [
    '<%= config.bin %> l2 probe --interface eth0 203.0.113.10',
    '<%= config.bin %> l2 probe -i eth0 203.0.113.10 2001:db8:ffff::10 --timeout 2000 --json',
  ]

  static override strict = false
  static override args = {address: Args.string({description: 'Address(es) to probe.', required: true})}
  static override flags = {
    interface: Flags.string({char: 'i', description: 'Interface on the segment to probe.', required: true}),
    timeout: Flags.string({description: 'How long to wait for answers: a duration (1s, 250ms, 1.5s) or a number of milliseconds (1ms to 60s).', default: '1000'}),
    output: outputFlag,
  }

  public async run(): Promise<ProbeResult> {
    const {argv} = await this.parse(L2Probe)
    const timeoutMs = parseDuration(this.flags.timeout, {name: '--timeout', bare: 'ms', minMs: 1, maxMs: 60_000})
    const {probeL2} = await import('../../lib/l2/probe.js') // the L2 engine and the native addon: only this command
    const result = await probeL2({interface: this.flags.interface, addresses: argv as string[], timeoutMs})
    // A failure prints the same result: tables here, -o json/yaml and --json with the error beside it (LbctlCommand).
    if (result.status === 'announced' || this.format === 'table' || this.format === 'wide') this.report(result, {rows: answerRows(result), columns: [
      {header: 'address', get: (r: AnswerRow) => r.address},
      {header: 'status', get: (r) => r.status},
      {header: 'mac', get: (r) => r.answer?.mac},
      {header: 'rtt ms', get: (r) => r.answer?.rttMs.toFixed(3), align: 'right'},
      {header: 'answers', get: (r) => r.answer?.count, wide: true},
    ]})
    const names = (s: string): string => result.results.filter((r) => r.status === s).map((r) => r.address).join(', ')
    if (result.status === 'conflict') {
      throw withResult(conflict('ADDRESS_CONFLICT', `more than one MAC answers for ${names('conflict')}`,
        'Check that strict ARP is on (lbctl prepare --check), and that no other host or speaker carries the address.'), result)
    }
    if (result.status === 'not-announced') {
      throw withResult(problems('NOT_ANNOUNCED', `nobody answers for ${names('not-announced')} on ${result.interface}`,
        'Check that a service holds the address (lbctl status) and that a speaker runs on a node of this segment.'), result)
    }
    return result
  }
}

interface AnswerRow {
  address: string
  status: ProbeAddressResult['status']
  answer?: ProbeAnswer
}

/** One row per answer (a conflict shows each MAC on its own line), one with dashes where nobody answered. */
function answerRows(result: ProbeResult): AnswerRow[] {
  return result.results.flatMap((r) => (r.answers.length ? r.answers : [undefined]).map((answer) => ({address: r.address, status: r.status, answer})))
}
