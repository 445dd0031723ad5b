import {Flags} from '@oclif/core'
import {ClusterCommand} from '../lib/cli/base.js'
import {parseDuration} from '../lib/duration.js'
import type {InstallResult} from '../lib/install/install.js'
import {DEFAULT_IMAGE_REGISTRY} from '../lib/install/names.js'
import {Kube} from '../lib/kube/client.js'
import {PASSWORD_ENV, readPassword} from '../lib/peer/password.js'

export const peerFlags = {
  'peer-address': Flags.string({description: 'The BGP router\'s address.', helpGroup: 'BGP PEER'}),
  'peer-asn': Flags.string({description: 'The router\'s AS number.', helpGroup: 'BGP PEER'}),
  'my-asn': Flags.string({description: 'The AS number the nodes speak as.', helpGroup: 'BGP PEER'}),
  'peer-name': Flags.string({description: 'Name of the BGPPeer (default: peer-<address>).', helpGroup: 'BGP PEER'}),
  'password-file': Flags.string({description: `File holding the TCP MD5 password (or set ${PASSWORD_ENV}; never a flag).`, helpGroup: 'BGP PEER'}),
  'ask-password': Flags.boolean({description: 'Ask for the TCP MD5 password on the terminal.', helpGroup: 'BGP PEER'}),
}

export default class Install extends ClusterCommand<typeof Install> {
  static override summary = 'Install (or upgrade) the load balancer: CRDs, RBAC, the controller and a speaker on every node.'
  static override description = `Checks everything before writing: your permissions (SelfSubjectAccessReview), that --image-registry answers the registry API and holds both images (from this machine; --skip-registry-check when only the nodes reach it), another MetalLB (upstream, Helm or Charmed Kubernetes' charms) and its leftovers, kube-proxy (layer 2 in IPVS mode needs strict ARP), the pool against existing pools. Then applies with server-side apply (field manager lbctl) in the safe order: CRDs, access, configuration, the controller, then the speakers one node at a time. Running it again changes nothing; with a newer --version it upgrades.
The mode is recorded in ConfigMap lbctl-install; \`lbctl pool set\` creates the advertisement that mode calls for.
--dry-run -o yaml prints exactly what would be applied (Secret data redacted).`
  static override flags = {
    mode: Flags.string({required: true, description: 'How services are announced: l2 (ARP/NDP) or bgp.'}),
    pool: Flags.string({multiple: true, description: 'Addresses for a pool (CIDRs, a-b ranges, single addresses), with the advertisement the mode calls for.'}),
    'pool-name': Flags.string({default: 'default', description: 'Name of the pool --pool creates.'}),
    ...peerFlags,
    'image-registry': Flags.string({description: `Where the images come from (default ${DEFAULT_IMAGE_REGISTRY}).`}),
    'take-over-metallb': Flags.boolean({description: 'Replace a running MetalLB (upstream or Helm), keeping every pool, peer, advertisement and assigned address.'}),
    'skip-registry-check': Flags.boolean({description: 'Do not check from here that --image-registry answers and holds the images (when only the nodes reach it).'}),
    'insecure-registry': Flags.boolean({description: 'The --image-registry check may use plain HTTP (a loopback registry may without this).'}),
    version: Flags.string({description: 'Image tag to install (default: this lbctl\'s version).'}),
    'controller-replicas': Flags.integer({default: 1, description: 'Controller replicas (more than one elects a leader).'}),
    'log-level': Flags.option({options: ['debug', 'info', 'warn', 'error'] as const, default: 'info', description: 'Log level of the daemons.'})(),
    'dry-run': Flags.boolean({description: 'Check and show what would be applied; change nothing.'}),
    wait: Flags.boolean({description: 'Wait until the controller and every speaker are ready (progress on stderr).'}),
    timeout: Flags.string({default: '5m', description: 'How long --wait (and an upgrade) waits.'}),
    yes: Flags.boolean({char: 'y', description: 'Do what pre-flight offers (turn on strict ARP) without asking.'}),
  }
  static override examples = [
    '<%= config.bin %> install --mode l2 --pool 192.168.1.240/28 --wait',
    '<%= config.bin %> install --mode bgp --pool 203.0.113.0/24 --peer-address 192.168.1.1 --peer-asn 64500 --my-asn 64512 --password-file ./bgp-pw',
    '<%= config.bin %> install --mode l2 --dry-run -o yaml | kubectl apply --dry-run=server -f -',
    '<%= config.bin %> install --mode l2 --version 0.2.0   # upgrade',
  ]

  async run(): Promise<InstallResult> {
    // The library (and what it pulls in: juju/execa, the manifests) loads for this command only: start-up stays small.
    const [{install}, {toYamlStream}, {renderInstall}] = await Promise.all([import('../lib/install/install.js'), import('../lib/install/manifests.js'), import('../lib/install/render.js')])
    const {flags} = await this.parse(Install)
    const interactive = !!process.stdin.isTTY && !!process.stderr.isTTY
    const pw = await readPassword({
      file: flags['password-file'], prompt: flags['ask-password'],
      ask: interactive ? async () => (await import('@inquirer/prompts')).password({message: 'BGP password:', mask: false}, {output: process.stderr}) : undefined,
    })
    const {result, manifests} = await install(Kube.connect(this.target), {
      mode: flags.mode, namespace: this.target.namespace, version: flags.version ?? this.config.version, imageRegistry: flags['image-registry'],
      registryCheck: !flags['skip-registry-check'], takeOverMetallb: flags['take-over-metallb'], insecureRegistry: flags['insecure-registry'],
      addresses: flags.pool ?? [], poolName: flags['pool-name'],
      peer: {address: flags['peer-address'], asn: flags['peer-asn'], myAsn: flags['my-asn'], name: flags['peer-name'], password: pw},
      controllerReplicas: flags['controller-replicas'], logLevel: flags['log-level'],
      dryRun: flags['dry-run'], yes: flags.yes, wait: flags.wait, timeoutMs: parseDuration(flags.timeout, {name: '--timeout', bare: 's', minMs: 1000, maxMs: 24 * 3_600_000}),
    }, {
      note: (m) => this.note(m),
      confirm: interactive && !flags.yes ? async (message) => (await import('@inquirer/prompts')).confirm({message, default: false}, {output: process.stderr}) : undefined,
    })
    if (flags['dry-run'] && this.format === 'yaml' && !this.jsonEnabled()) this.log(toYamlStream(manifests).trimEnd())
    else this.report(result, () => renderInstall(result))
    return result
  }
}
