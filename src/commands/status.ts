import {Flags} from '@oclif/core'
import {ClusterCommand} from '../lib/cli/base.js'
import {parseDuration} from '../lib/duration.js'
import {Kube} from '../lib/kube/client.js'
import type {StatusReport} from '../lib/status/status.js'

export default class Status extends ClusterCommand<typeof Status> {
  static override summary = 'Show the load balancer: components and versions, mode, pools, BGP sessions, what each node announces.'
  static override description = 'Reads the objects only (works on upstream MetalLB too). With --wait, waits until the controller and every speaker are ready (exit 1 after --timeout).'
  static override flags = {
    wait: Flags.boolean({description: 'Wait until the components are ready.'}),
    timeout: Flags.string({default: '5m', description: 'How long --wait waits: a duration (90s, 5m, 1m30s) or a number of seconds.'}),
  }
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --wait --timeout 2m', '<%= config.bin %> status --json']

  async run(): Promise<StatusReport> {
    const {flags} = await this.parse(Status)
    const timeoutMs = parseDuration(flags.timeout, {name: '--timeout', bare: 's', minMs: 1000, maxMs: 24 * 3_600_000})
    const kube = Kube.connect(this.target)
    // Loaded by this command only (it shares the doctor's checks; start-up of other commands stays small).
    const [{readStatus, waitReady}, {renderStatus}] = await Promise.all([import('../lib/status/status.js'), import('../lib/status/render.js')])
    const report = flags.wait
      ? await waitReady(kube, this.target.namespace, timeoutMs, {progress: (r) => this.note(`waiting: ${r.components.map((c) => `${c.component} ${c.ready}/${c.desired}`).join(', ')}`)})
      : await readStatus(kube, this.target.namespace)
    this.report(report, () => renderStatus(report, this.format === 'wide'))
    return report
  }
}
