import {Flags} from '@oclif/core'
import {ClusterCommand} from '../lib/cli/base.js'
import {badInput} from '../lib/cli/errors.js'
import {parseDuration} from '../lib/duration.js'
import type {PrepareResult} from '../lib/cluster/types.js'
import {Kube} from '../lib/kube/client.js'

export default class Prepare extends ClusterCommand<typeof Prepare> {
  static override summary = 'Prepare the cluster for the load balancer: kube-proxy in IPVS mode with strict ARP.'
  static override description = `Detects the distribution and how kube-proxy is configured, shows the current and wanted state and the exact change, and asks before changing anything (--yes to skip the question; without a terminal --yes is required).
kubeadm-style clusters: edits mode and ipvs.strictARP in ConfigMap kube-system/kube-proxy (nothing else), restarts the kube-proxy DaemonSet and waits for it; a kube-proxy DaemonSet without --config gets --proxy-mode=ipvs and --ipvs-strict-arp=true on its command line instead. Charmed Kubernetes: merges the settings into proxy-extra-config with \`juju config\`. k3s, RKE2 and MicroK8s: prints the change and the commands to run on each node. Clusters where a CNI replaces kube-proxy need nothing.
--check only reports, and exits 1 when kube-proxy is not ready for the load balancer.`
  static override flags = {
    ipvs: Flags.boolean({description: 'Put kube-proxy in IPVS mode (with strict ARP unless --no-strict-arp).'}),
    'strict-arp': Flags.boolean({allowNo: true, default: true, description: 'Turn strict ARP on; --no-strict-arp leaves it as it is.'}),
    check: Flags.boolean({description: 'Report the state only; exit 1 when kube-proxy is not ready.', exclusive: ['dry-run', 'yes']}),
    'dry-run': Flags.boolean({description: 'Show the change; change nothing.'}),
    yes: Flags.boolean({char: 'y', description: 'Apply without asking.'}),
    'juju-model': Flags.string({description: 'Juju model of a Charmed Kubernetes cluster (default: juju\'s current model).'}),
    timeout: Flags.string({default: '5m', description: 'How long to wait for the kube-proxy rollout: a duration (90s, 5m, 1m30s) or a number of seconds.'}),
  }
  static override examples = [
    '<%= config.bin %> prepare --ipvs --dry-run',
    '<%= config.bin %> prepare --ipvs',
    '<%= config.bin %> prepare --ipvs --yes --timeout 10m',
    '<%= config.bin %> prepare --ipvs --juju-model k8s',
    '<%= config.bin %> prepare --check',
  ]

  async run(): Promise<PrepareResult> {
    const {flags} = await this.parse(Prepare)
    if (!flags.ipvs && !flags.check) throw badInput('NOTHING_TO_PREPARE', 'say what to prepare', 'Run `lbctl prepare --ipvs` (or `lbctl prepare --check` to only look).')
    const timeoutMs = parseDuration(flags.timeout, {name: '--timeout', bare: 's', minMs: 1000, maxMs: 24 * 3_600_000})
    // Loaded here, not at start-up: only this command needs them.
    const [{confirm}, {prepareIpvs}, {renderPlan, renderResult}] = await Promise.all([
      import('@inquirer/prompts'), import('../lib/cluster/prepare.js'), import('../lib/cluster/render.js'),
    ])
    // The plan is text for people; -o json/yaml and --json print only the result.
    const text = this.format === 'table' || this.format === 'wide'
    const interactive = !!process.stdin.isTTY && !!process.stderr.isTTY
    let shown: PrepareResult | undefined
    const result = await prepareIpvs(Kube.connect(this.target), {
      strictARP: flags['strict-arp'], dryRun: flags['dry-run'], yes: flags.yes, check: flags.check, jujuModel: flags['juju-model'], timeoutMs,
    }, {
      note: (m) => this.note(m),
      plan: (p) => {
        shown = {...p, warnings: [...p.warnings]}
        // Otherwise stdout carries only the result, but a person about to be asked still needs to see the change.
        if (text) this.log(renderPlan(p))
        else if (interactive && !flags.yes && !flags['dry-run']) process.stderr.write(renderPlan(p) + '\n')
      },
      // The question goes to stderr, so stdout stays the command's output.
      confirm: interactive ? (message) => confirm({message, default: false}, {output: process.stderr}) : undefined,
    })
    this.report(result, () => renderResult(result, text ? shown : undefined))
    return result
  }
}
