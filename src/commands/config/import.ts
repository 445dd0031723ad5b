import {Flags} from '@oclif/core'
import {ClusterCommand} from '../../lib/cli/base.js'
import {badInput} from '../../lib/cli/errors.js'
import type {ImportResult, ImportSource} from '../../lib/config/import.js'
import {Kube} from '../../lib/kube/client.js'

export default class ConfigImport extends ClusterCommand<typeof ConfigImport> {
  static override summary = 'Carry a legacy MetalLB configuration (ConfigMap, or the Charmed operator\'s iprange) over to metallb.io objects.'
  static override description = `Reads MetalLB v0.9–v0.12's ConfigMap "config" (a file with the ConfigMap or just its config YAML, or the cluster's) and produces the equivalent IPAddressPools, L2Advertisements, BGPAdvertisements, BGPPeers (passwords moved into Secrets), Communities and BFDProfiles. Fields that do not map one-to-one are reported with their path; fields lbctl cannot carry are refused unless --force. With --from-juju, the Charmed MetalLB operator's pool is adopted, and the safe order to remove the charm is printed.

The objects are checked like \`lbctl pool set\` (overlaps with existing pools, addresses services hold) and applied with server-side apply; running it again changes nothing. Bad input exits 2 and changes nothing.`
  static override flags = {
    file: Flags.string({char: 'f', description: 'The ConfigMap (YAML or JSON) or its config YAML; - for stdin.', exactlyOne: ['file', 'from-cluster', 'from-juju']}),
    'from-cluster': Flags.boolean({description: 'Read ConfigMap "config" from the namespace (-n).'}),
    'from-juju': Flags.boolean({description: 'Read the Charmed MetalLB operator\'s iprange through the juju CLI and adopt its pool.'}),
    'juju-model': Flags.string({description: 'The juju model the charm runs in (default: the current model).', dependsOn: ['from-juju']}),
    'dry-run': Flags.boolean({description: 'Show the objects (-o yaml prints them, Secret data redacted); change nothing.'}),
    yes: Flags.boolean({char: 'y', description: 'Apply without asking.'}),
    force: Flags.boolean({description: 'Import fields lbctl cannot carry (each is reported), and take away addresses services hold.'}),
  }
  static override examples = [
    '<%= config.bin %> config import -f config.yaml --dry-run -o yaml',
    'kubectl -n metallb-system get configmap config -o yaml | <%= config.bin %> config import -f - --yes',
    '<%= config.bin %> config import --from-cluster --yes',
    '<%= config.bin %> config import --from-juju --juju-model metallb-system --dry-run',
  ]

  async run(): Promise<ImportResult> {
    // The library (and what it pulls in: juju/execa, the manifests) loads for this command only: start-up stays small.
    const [{importConfig}, {renderImport, renderManifests}] = await Promise.all([import('../../lib/config/import.js'), import('../../lib/config/render.js')])
    const {flags} = await this.parse(ConfigImport)
    const source: ImportSource = flags.file !== undefined ? {kind: 'file', path: flags.file} : flags['from-cluster'] ? {kind: 'cluster'} : {kind: 'juju', model: flags['juju-model']}
    if (flags.file === '-' && !flags.yes && !flags['dry-run']) throw badInput('CONFIRMATION_REQUIRED', 'with -f - the configuration comes from stdin, so lbctl cannot ask for confirmation there', 'Pass --yes to apply, or --dry-run to only see the objects.')
    const interactive = !!process.stdin.isTTY && !!process.stderr.isTTY && flags.file !== '-'
    const result = await importConfig(() => Kube.connect(this.target), this.target.namespace, {
      source, dryRun: flags['dry-run'], force: flags.force, yes: flags.yes,
      note: (m) => this.note(m),
      // A person about to be asked sees the objects first; the question goes to stderr, stdout stays the output.
      plan: interactive && !flags.yes ? (r) => process.stderr.write(renderImport(r) + '\n\n') : undefined,
      confirm: interactive ? async (message) => (await import('@inquirer/prompts')).confirm({message, default: false}, {output: process.stderr}) : undefined,
    })
    if (!this.jsonEnabled() && (this.format === 'yaml' || this.format === 'json')) {
      this.log(renderManifests(result, this.format))
      for (const w of result.warnings) this.note(`warning: ${w}`)
      return result
    }
    this.report(result, () => renderImport(result))
    return result
  }
}
