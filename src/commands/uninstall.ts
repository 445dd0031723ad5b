import {Flags} from '@oclif/core'
import {ClusterCommand} from '../lib/cli/base.js'
import type {UninstallResult} from '../lib/install/uninstall.js'
import {Kube} from '../lib/kube/client.js'

export default class Uninstall extends ClusterCommand<typeof Uninstall> {
  static override summary = 'Remove the load balancer (refuses while services hold its addresses).'
  static override description = `Removes, in this order: the speakers (announcements stop), the controller, the pools, advertisements and peers with the metallb.io CRDs (unless --keep-crds), the RBAC and service accounts, the memberlist Secret, the install record, and the namespace if install created it. Refuses while LoadBalancer services hold addresses from its pools, listing them, unless --force.`
  static override flags = {
    force: Flags.boolean({description: 'Remove even while services hold addresses.'}),
    'keep-crds': Flags.boolean({description: 'Keep the CRDs and the configuration in them (pools, advertisements, peers and their passwords).'}),
    'dry-run': Flags.boolean({description: 'List what would be removed; remove nothing.'}),
  }
  static override examples = ['<%= config.bin %> uninstall --dry-run', '<%= config.bin %> uninstall --keep-crds', '<%= config.bin %> uninstall --force']

  async run(): Promise<UninstallResult> {
    // The library (and what it pulls in: juju/execa, the manifests) loads for this command only: start-up stays small.
    const [{uninstall}, {renderUninstall}] = await Promise.all([import('../lib/install/uninstall.js'), import('../lib/install/render.js')])
    const {flags} = await this.parse(Uninstall)
    const result = await uninstall(Kube.connect(this.target), {namespace: this.target.namespace, force: flags.force, keepCrds: flags['keep-crds'], dryRun: flags['dry-run']}, {note: (m) => this.note(m)})
    this.report(result, () => renderUninstall(result))
    return result
  }
}
