import {Flags} from '@oclif/core'
import {LbctlCommand, outputFlag} from '../../lib/cli/base.js'
import {count} from '../../lib/cli/words.js'
import {parseDuration} from '../../lib/duration.js'
import type {ProbeResult} from '../../lib/bgp/probe.js'
import {readSecretFile} from '../../lib/cli/secrets.js'

export default class BgpProbe extends LbctlCommand<typeof BgpProbe> {
  static override description = 'Open a BGP session to a router with the given parameters, announce prefixes, and report each step (a pre-flight check before installing).'
  static override examples = [
    '<%= config.bin %> bgp probe --peer-address 198.18.0.1 --peer-asn 64513 --my-asn 64512',
    '<%= config.bin %> bgp probe --peer-address 198.18.0.1 --peer-asn 64513 --my-asn 64512 --announce 203.0.113.10/32 --community 64512:100 --duration 30',
    '<%= config.bin %> bgp probe --peer-address 198.18.0.1 --peer-asn 64513 --my-asn 64512 --ttl-security 1 --json',
    '<%= config.bin %> bgp probe --peer-address 2001:db8::1 --peer-asn 64513 --my-asn 64512 --extended-nexthop --announce 203.0.113.10/32',
    '<%= config.bin %> bgp probe --peer-address 198.18.0.1 --peer-asn 64513 --my-asn 64512 --extended-message --announce 203.0.113.10/32 --json',
  ]

  static override flags = {
    'peer-address': Flags.string({description: 'The router\'s address.', required: true}),
    'peer-asn': Flags.integer({description: 'The router\'s AS number.', required: true}),
    'my-asn': Flags.integer({description: 'Our AS number (equal to --peer-asn for iBGP).', required: true}),
    'router-id': Flags.string({description: 'Our BGP identifier, an IPv4 address (default, as FRR and BIRD: the IPv4 --source-address, else the IPv4 source toward the peer, else this host\'s highest IPv4 address — also for IPv6 sessions).'}),
    'peer-port': Flags.integer({description: 'The router\'s TCP port.', default: 179}),
    password: Flags.string({
      description: 'TCP MD5 password (RFC 2385). Prefer --password-file or LBCTL_BGP_PASSWORD: a value on the command line is visible to other users in the process list.',
      env: 'LBCTL_BGP_PASSWORD', exclusive: ['password-file'],
    }),
    'password-file': Flags.string({description: 'Read the TCP MD5 password from this file (one line; a trailing newline is ignored).', exclusive: ['password']}),
    'source-address': Flags.string({description: 'Local address to connect from (and next hop).'}),
    'hold-time': Flags.integer({description: 'Hold time in seconds (0, or 3 and more).', default: 90}),
    passive: Flags.boolean({description: 'Wait for the router to connect instead of dialling.'}),
    'ebgp-multihop': Flags.integer({description: 'Send with this TTL (for a peer more than one hop away).', exclusive: ['ttl-security']}),
    'ttl-security': Flags.integer({
      description: 'GTSM (RFC 5082) with a router this many hops away, 1 when directly connected (as FRR\'s "neighbor … ttl-security hops N"): send TTL 255 and drop segments with a TTL below 256 − N.',
      exclusive: ['ebgp-multihop'],
    }),
    'extended-nexthop': Flags.boolean({description: 'Offer the extended next hop capability (RFC 8950): over an IPv6 session, IPv4 prefixes are announced with the IPv6 next hop.'}),
    'extended-message': Flags.boolean({description: 'Offer the extended message capability (RFC 8654): UPDATEs of up to 65535 octets once the router offers it too.'}),
    bfd: Flags.boolean({description: 'Run BFD (single hop, 300 ms × 3) with the router and report its state.'}),
    'graceful-restart': Flags.boolean({description: 'Advertise graceful restart; on exit keep the routes at the router for 120 s.'}),
    announce: Flags.string({description: 'Prefix to announce (repeatable).', multiple: true}),
    community: Flags.string({description: 'Community ASN:VALUE for announced prefixes (repeatable).', multiple: true}),
    'large-community': Flags.string({description: 'Large community G:L1:L2 for announced prefixes (repeatable).', multiple: true}),
    'local-pref': Flags.integer({description: 'LOCAL_PREF for announced prefixes (iBGP only).'}),
    duration: Flags.string({description: 'How long to stay established after announcing: a duration (30s, 1m30s) or a number of seconds.', default: '0'}),
    timeout: Flags.string({description: 'How long to wait for the session to be established: a duration (30s, 2m) or a number of seconds.', default: '30'}),
    output: outputFlag,
  }

  public async run(): Promise<ProbeResult> {
    const f = this.flags
    const password = readPassword(f.password, f['password-file'], (w) => this.warn(w))
    const duration = parseDuration(f.duration, {name: '--duration', bare: 's', maxMs: 24 * 3_600_000}) / 1000
    const timeout = parseDuration(f.timeout, {name: '--timeout', bare: 's', minMs: 1000, maxMs: 3_600_000}) / 1000
    const {runProbe} = await import('../../lib/bgp/probe.js') // the BGP engine: loaded only by this command
    const abort = new AbortController()
    const onSignal = () => abort.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      const result = await runProbe({
        peerAddress: f['peer-address'], peerAsn: f['peer-asn'], myAsn: f['my-asn'], routerId: f['router-id'], peerPort: f['peer-port'],
        password, sourceAddress: f['source-address'], holdTime: f['hold-time'], passive: f.passive, ebgpMultihop: f['ebgp-multihop'],
        ttlSecurity: f['ttl-security'], extendedNextHop: f['extended-nexthop'], extendedMessage: f['extended-message'],
        bfd: f.bfd, gracefulRestart: f['graceful-restart'], announce: f.announce, communities: f.community, largeCommunities: f['large-community'],
        localPref: f['local-pref'], duration, timeout, signal: abort.signal,
      }, {note: (l) => this.note(l)})
      this.report(result, () => `Established with ${result.peer} (AS ${result.peerAsn}); ${count(result.announced, 'prefix', 'prefixes')} announced; exit: ${result.exit}`)
      return result
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}

function readPassword(flag: string | undefined, file: string | undefined, warn: (w: string) => void): string | undefined {
  if (file !== undefined) return readSecretFile(file, '--password-file')
  if (flag !== undefined && process.env.LBCTL_SECRET_FROM_ARGV === 'password') {
    warn('--password on the command line is visible to other users (ps, /proc/*/cmdline); use --password-file or LBCTL_BGP_PASSWORD.')
  }
  return flag
}
