import {Args, Flags} from '@oclif/core'
import {ClusterCommand} from '../lib/cli/base.js'
import {ExitCode} from '../lib/cli/errors.js'
import type {BundleResult} from '../lib/doctor/bundle.js'
import type {DoctorReport} from '../lib/doctor/index.js'
import {Kube} from '../lib/kube/client.js'

export default class Doctor extends ClusterCommand<typeof Doctor> {
  static override summary = 'Say why a service is not reachable, and how to fix it.'
  static override description = `Checks the cluster (kube-proxy and strict ARP, CRDs, components, configuration, pools, advertisements, BGP sessions, leftovers), then gives each LoadBalancer service a staged verdict that stops at the first broken stage: type and class → allocation → advertisement (node selectors, and named interfaces against those each node's speaker reports) → endpoints → announcement → the wire (speakers on other nodes probe the address: exactly one MAC should answer, and it should be a MAC of the announcing node, learned from its speaker). Every problem comes with its evidence and a command that fixes it or shows more.
A bare NAME is in the kubeconfig context's namespace; -n stays the load balancer's namespace. Exit codes: 0 no problems, 1 problems found, 3 cluster unreachable. --json output is described by schemas/doctor.schema.json.`
  static override strict = false
  static override args = {service: Args.string({description: 'Services to check: NAME or NAMESPACE/NAME (default: the LoadBalancer services of the context\'s namespace).'})}
  static override flags = {
    'all-namespaces': Flags.boolean({char: 'A', description: 'Check the LoadBalancer services of every namespace.'}),
    probe: Flags.boolean({allowNo: true, default: true, description: 'Ask speakers on other nodes to probe service addresses (--no-probe: objects only).'}),
    verbose: Flags.boolean({char: 'v', description: 'Show evidence of passed checks and every stage of healthy services.'}),
    bundle: Flags.string({description: 'Write one tar.gz for a bug report instead: metallb.io objects, services and events, component logs, speaker diagnostics, kube-proxy config, this report (secrets and passwords redacted).'}),
  }
  static override examples = [
    '<%= config.bin %> doctor -A',
    '<%= config.bin %> doctor web/shop',
    '<%= config.bin %> doctor shop --no-probe',
    '<%= config.bin %> doctor -A --json',
    '<%= config.bin %> doctor --bundle lbctl-bundle.tar.gz',
  ]

  // The report holds no bigint, so it is printed as it is (plain() would copy 3 MB for 1,000 services).
  protected override toSuccessJson(result: unknown): unknown {
    return result
  }

  async run(): Promise<DoctorReport | BundleResult> {
    const {argv, flags} = await this.parse(Doctor)
    // The checks are loaded by this command only (start-up of every other command stays small).
    const [{checkBundlePath, writeBundle}, {runDoctor}, {renderBundle, renderReport}] = await Promise.all([
      import('../lib/doctor/bundle.js'), import('../lib/doctor/index.js'), import('../lib/doctor/render.js'),
    ])
    if (flags.bundle !== undefined) {
      checkBundlePath(flags.bundle)
      const bundle = await writeBundle(Kube.connect(this.target), {file: flags.bundle, namespace: this.target.namespace, probe: flags.probe})
      this.report(bundle, () => renderBundle(bundle))
      return bundle
    }
    const report = await runDoctor(Kube.connect(this.target), {namespace: this.target.namespace, services: argv as string[], all: flags['all-namespaces'], probe: flags.probe})
    this.report(report, () => renderReport(report, {verbose: flags.verbose}))
    // The report is the output in both forms (tree and --json); problems only change the exit code.
    if (!report.ok) process.exitCode = ExitCode.PROBLEMS
    return report
  }
}
