// `lbctl bgp probe`: open one session with the given parameters, announce, report each step, and on failure say
// why in words. The command is a thin shell around runProbe().
import {isIP} from 'node:net'
import {networkInterfaces} from 'node:os'
import {count} from '../cli/words.js'
import {badInput, LbctlError, missing, problems, withResult} from '../errors.js'
import {openBfd, type BfdLink} from './bfd-transport.js'
import {notificationName} from './errors.js'
import {describeNotification} from './notification.js'
import {capabilityName, describeReceivedCapability} from './probe-capabilities.js'
import {canonicalPrefix, familyName} from './prefixes.js'
import {routerIdFrom, usableRouterId} from './router-id.js'
import {BgpSession, type Route} from './session.js'
import type {DownEvent} from './session-types.js'
import {BGP_PORT, listenBgp, tcpTransport} from './transport.js'
import type {NotificationMessage} from './types.js'

export interface ProbeOptions {
  peerAddress: string
  peerAsn: number
  myAsn: number
  routerId?: string
  peerPort?: number
  password?: string
  sourceAddress?: string
  holdTime?: number
  passive?: boolean
  /** eBGP multihop: the TTL to send with. */
  ebgpMultihop?: number
  /** GTSM (RFC 5082) with the router this many hops away (1: directly connected): send TTL 255, refuse TTL < 256 - hops. */
  ttlSecurity?: number
  /** Offer IPv4 unicast with an IPv6 next hop (RFC 8950); over an IPv6 session IPv4 prefixes then need no IPv4 next hop. */
  extendedNextHop?: boolean
  /** Offer extended messages (RFC 8654): UPDATEs up to 65,535 octets once the router offers it too. */
  extendedMessage?: boolean
  bfd?: boolean
  gracefulRestart?: boolean
  announce?: string[]
  communities?: string[]
  largeCommunities?: string[]
  localPref?: number
  /** Seconds to stay up after announcing (0: leave right after End-of-RIB). */
  duration?: number
  /** Seconds to wait for Established. */
  timeout?: number
  signal?: AbortSignal
}

export interface ProbeResult {
  peer: string
  established: boolean
  localAddress?: string
  peerAsn?: number
  peerRouterId?: string
  holdTime?: number
  keepaliveTime?: number
  capabilities: string[]
  families: string[]
  announced: number
  endOfRib: string[]
  receivedPrefixes: number
  /** What both sides agreed on (false: one side did not offer it). */
  extendedMessage?: boolean
  extendedNextHop?: boolean
  /** GTSM in effect on the connection: TTL sent and the lowest TTL accepted. */
  ttlSecurity?: {hops: number; sendTtl: number; minTtl: number}
  bfd?: string
  /** How it ended: routes withdrawn and Cease sent, closed for a graceful restart, closed by the peer, or failed. */
  exit: 'withdrawn' | 'graceful' | 'peer-closed' | 'failed'
  steps: {ms: number; step: string}[]
}

const ASN_RE = /^\d{1,10}$/
function parseAsn(flag: string, v: number): number {
  if (!Number.isInteger(v) || v < 1 || v > 0xffffffff || !ASN_RE.test(String(v))) {
    throw badInput('BAD_ASN', `--${flag} ${v} is not an AS number (1–4294967295)`, `e.g. --${flag} 64512`)
  }
  return v
}

/** "65000:100" or a 32-bit number; well-known names too. */
export function parseCommunity(s: string): number {
  const known: Record<string, number> = {'no-export': 0xffffff01, 'no-advertise': 0xffffff02, 'no-export-subconfed': 0xffffff03, blackhole: 0xffff029a}
  if (known[s.toLowerCase()] !== undefined) return known[s.toLowerCase()]
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(s)
  if (m && Number(m[1]) <= 0xffff && Number(m[2]) <= 0xffff) return ((Number(m[1]) << 16) | Number(m[2])) >>> 0
  throw badInput('BAD_COMMUNITY', `--community ${JSON.stringify(s)} is not ASN:VALUE with both parts 0–65535`, 'e.g. --community 65000:100')
}

export function parseLargeCommunity(s: string): [number, number, number] {
  const m = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/.exec(s)
  const v = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : []
  if (!m || v.some((x) => x > 0xffffffff)) {
    throw badInput('BAD_LARGE_COMMUNITY', `--large-community ${JSON.stringify(s)} is not GLOBAL:LOCAL1:LOCAL2 of 32-bit numbers`, 'e.g. --large-community 64512:1:2')
  }
  return v as [number, number, number]
}

interface Checked {
  routes: Route[]
  routerId?: string
}

/** Validate everything before any network I/O (ARCHITECTURE rule 7). */
export function checkProbeOptions(o: ProbeOptions): Checked {
  if (!isIP(o.peerAddress)) throw badInput('BAD_ADDRESS', `--peer-address ${JSON.stringify(o.peerAddress)} is not an IP address`, 'e.g. --peer-address 198.18.0.1')
  if (o.sourceAddress !== undefined && !isIP(o.sourceAddress)) throw badInput('BAD_ADDRESS', `--source-address ${JSON.stringify(o.sourceAddress)} is not an IP address`)
  if (o.sourceAddress && isIP(o.sourceAddress) !== isIP(o.peerAddress)) throw badInput('BAD_ADDRESS', '--source-address and --peer-address are of different families')
  parseAsn('peer-asn', o.peerAsn)
  parseAsn('my-asn', o.myAsn)
  const h = o.holdTime ?? 90
  if (!Number.isInteger(h) || h < 0 || h > 65535 || h === 1 || h === 2) throw badInput('BAD_HOLD_TIME', `--hold-time ${h}: must be 0 or 3–65535 seconds (RFC 4271 4.2)`, 'e.g. --hold-time 90')
  if (o.ebgpMultihop !== undefined && (!Number.isInteger(o.ebgpMultihop) || o.ebgpMultihop < 1 || o.ebgpMultihop > 255)) throw badInput('BAD_TTL', `--ebgp-multihop ${o.ebgpMultihop}: must be 1–255`)
  if (o.ttlSecurity !== undefined && (!Number.isInteger(o.ttlSecurity) || o.ttlSecurity < 1 || o.ttlSecurity > 254)) {
    throw badInput('BAD_TTL', `--ttl-security ${o.ttlSecurity}: must be 1–254 hops (1: the router is directly connected)`, 'e.g. --ttl-security 1')
  }
  if (o.ttlSecurity !== undefined && o.ebgpMultihop !== undefined) {
    throw badInput('BAD_TTL', '--ttl-security and --ebgp-multihop both set the TTL: use one (--ttl-security N for a router N hops away)')
  }
  if (o.peerPort !== undefined && (!Number.isInteger(o.peerPort) || o.peerPort < 1 || o.peerPort > 65535)) throw badInput('BAD_PORT', `--peer-port ${o.peerPort}: must be 1–65535`)
  if (o.localPref !== undefined && (!Number.isInteger(o.localPref) || o.localPref < 0 || o.localPref > 0xffffffff)) throw badInput('BAD_LOCAL_PREF', `--local-pref ${o.localPref}: must be 0–4294967295`)
  // The kernel's TCP_MD5SIG_MAXKEYLEN is 80 bytes, not characters: a multibyte password is counted in UTF-8.
  const passwordBytes = o.password === undefined ? 0 : Buffer.byteLength(o.password, 'utf8')
  if (o.password !== undefined && (passwordBytes === 0 || passwordBytes > 80)) {
    throw badInput('BAD_PASSWORD', `the TCP MD5 password must be 1–80 bytes; this one is ${passwordBytes} bytes in UTF-8`, 'Use a shorter password (the router must be given the same one).')
  }
  if (o.localPref !== undefined && o.myAsn !== o.peerAsn) throw badInput('BAD_LOCAL_PREF', '--local-pref applies to iBGP only (--my-asn equal to --peer-asn)', 'drop --local-pref for an external peer')
  const communities = (o.communities ?? []).map(parseCommunity)
  const large = (o.largeCommunities ?? []).map(parseLargeCommunity)
  const routes: Route[] = []
  for (const p of o.announce ?? []) {
    const c = canonicalPrefix(p)
    if (!c) throw badInput('BAD_PREFIX', `--announce ${JSON.stringify(p)} is not a prefix with zero host bits`, 'e.g. --announce 203.0.113.10/32')
    routes.push({prefix: c, communities, largeCommunities: large, localPref: o.localPref})
  }
  const routerId = o.routerId
  if (routerId !== undefined && !usableRouterId(routerId)) throw badInput('BAD_ROUTER_ID', `--router-id ${JSON.stringify(routerId)} is not a usable IPv4 address (not 0/8, 127/8, 169.254/16 or multicast)`, 'e.g. --router-id 198.18.0.2')
  if (o.bfd && o.ebgpMultihop !== undefined) throw badInput('BAD_BFD', '--bfd is single hop (RFC 5881); it cannot be combined with --ebgp-multihop')
  // BFD's packets leave from the address of the link to the router: without it the probe would connect, come up, and
  // only then find it cannot start BFD.
  if (o.bfd && o.sourceAddress === undefined) {
    throw badInput('USAGE', '--bfd needs --source-address (the local address BFD sends from, on the link to the router)', `Add --source-address with this host's address toward ${o.peerAddress}, e.g. --source-address 198.18.0.2.`)
  }
  return {routes, routerId}
}

/** This host's IPv4 addresses (of the network namespace it runs in). */
function hostIPv4(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address))
}

/**
 * The default router ID (router-id.ts, the rule FRR and BIRD follow): the IPv4 source address, else for an IPv4 peer
 * the source the kernel would use toward it, else the host's highest IPv4 address — also for an IPv6 session.
 */
export async function defaultRouterId(o: Pick<ProbeOptions, 'peerAddress' | 'peerPort' | 'sourceAddress'>, host: () => string[] = hostIPv4): Promise<string> {
  const toward = isIP(o.peerAddress) === 4 && !usableRouterId(o.sourceAddress) ? [await sourceToward(o.peerAddress, o.peerPort ?? BGP_PORT)] : []
  const id = routerIdFrom([[o.sourceAddress], toward, host()])
  if (!id) throw badInput('BAD_ROUTER_ID', 'this host has no IPv4 address to take a router ID from (a BGP identifier is an IPv4 address, even for IPv6 sessions)', 'give --router-id, e.g. --router-id 198.18.0.2')
  return id
}

async function sourceToward(peer: string, port: number): Promise<string> {
  const {createSocket} = await import('node:dgram')
  const sock = createSocket('udp4')
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject)
      sock.connect(port, peer, () => resolve())
    })
    return sock.address().address
  } catch {
    throw badInput('BAD_ROUTER_ID', `no route to ${peer} to pick a router ID from`, 'give --router-id or --source-address')
  } finally {
    sock.close()
  }
}

/** Explain a session that went down, in words, with a hint. */
export function explainDown(d: DownEvent, o: ProbeOptions, sawTcp: boolean): LbctlError {
  const n: NotificationMessage | undefined = d.notification
  if (n) {
    let why = ''
    if (n.code === 2 && n.subcode === 2) {
      const as = n.data.length === 4 ? n.data.readUInt32BE(0) : n.data.length === 2 ? n.data.readUInt16BE(0) : o.myAsn
      why = `: it does not expect AS ${as} from us; check --my-asn against the router's "neighbor … remote-as"`
    } else if (n.code === 2 && n.subcode === 6) why = `: it refuses hold time ${o.holdTime ?? 90}; try --hold-time 90`
    else if (n.code === 2 && n.subcode === 3) why = ': it refuses our router ID; set --router-id to an address unique in the AS'
    else if (n.code === 6 && n.subcode === 5) why = ': the router is not configured for this address (no neighbor statement for us, or a peer limit)'
    return problems('BGP_NOTIFICATION', `peer sent NOTIFICATION ${describeNotification(n)}${why}`, 'Compare the router\'s neighbor configuration with the flags given.', {code: n.code, subcode: n.subcode, data: n.data.toString('hex')})
  }
  // A BgpProtocolError's message already starts with the NOTIFICATION's name ("2/2 Bad Peer AS: …"): say it once.
  if (d.error) {
    const name = notificationName(d.error.code, d.error.subcode)
    return problems('BGP_PROTOCOL_ERROR', `we sent NOTIFICATION ${d.error.message.startsWith(name) ? d.error.message : `${name}: ${d.error.message}`}`, 'Check --peer-asn and the router\'s configuration.')
  }
  if (d.reason === 'hold-timer-expired') return problems('BGP_HOLD_EXPIRED', `the peer went silent: ${d.message}`, 'The router is overloaded, stopped, or a firewall drops its packets.')
  if (d.reason === 'connection-closed' && sawTcp && o.password === undefined) {
    return problems('BGP_CLOSED', `${o.peerAddress} accepted TCP and then closed it without a NOTIFICATION`, 'The router may need a password (--password), or does not know this source address.')
  }
  return problems('BGP_DOWN', d.message)
}

export interface ProbeHooks {
  note(line: string): void
}

/** Run the probe. Resolves with what happened; throws LbctlError (with the reason in words) on failure. */
export async function runProbe(o: ProbeOptions, hooks: ProbeHooks): Promise<ProbeResult> {
  const checked = checkProbeOptions(o)
  const {routes} = checked
  const routerId = checked.routerId ?? await defaultRouterId(o)
  const t0 = performance.now()
  const result: ProbeResult = {peer: o.peerAddress, established: false, capabilities: [], families: [], announced: 0, endOfRib: [], receivedPrefixes: 0, exit: 'withdrawn', steps: []}
  const step = (s: string) => {
    const ms = Math.round(performance.now() - t0)
    result.steps.push({ms, step: s})
    hooks.note(`[${(ms / 1000).toFixed(3)}s] ${s}`)
  }
  const port = o.peerPort ?? BGP_PORT
  const ibgp = o.myAsn === o.peerAsn
  // GTSM (RFC 5082 3): send with 255, accept only what can have crossed at most hops - 1 routers.
  const gtsm = o.ttlSecurity !== undefined ? {hops: o.ttlSecurity, sendTtl: 255, minTtl: 256 - o.ttlSecurity} : undefined
  const ttl = gtsm ? gtsm.sendTtl : o.ebgpMultihop
  const minTtl = gtsm?.minTtl
  if (o.password !== undefined || ttl !== undefined || o.bfd) {
    try {
      const {loadNative} = await import('../native/index.js')
      loadNative()
    } catch (e) {
      const what = o.password !== undefined ? '--password (TCP MD5)' : o.bfd ? '--bfd' : gtsm ? '--ttl-security' : '--ebgp-multihop'
      throw e instanceof LbctlError ? missing('NATIVE_MISSING', `${what} needs the native module: ${e.message}`, e.hint) : e
    }
  }
  const session = new BgpSession({
    localAsn: o.myAsn, peerAsn: o.peerAsn, routerId, holdTime: o.holdTime ?? 90, passive: o.passive, connectRetryTime: 2, connectRetryMax: 10,
    gracefulRestart: o.gracefulRestart ? {restartTime: 120, forwardingPreserved: true} : undefined,
    extendedNextHop: o.extendedNextHop, extendedMessage: o.extendedMessage,
    transport: o.passive ? undefined : tcpTransport({host: o.peerAddress, port, localAddress: o.sourceAddress, password: o.password, ttl, minTtl}),
  })
  let server: import('node:net').Server | undefined
  let sawTcp = false
  let lastDown: DownEvent | undefined
  let connectError: Error | undefined
  session.on('connected', (c) => {
    sawTcp = true
    if (c.localAddress) result.localAddress = c.localAddress
    step(c.initiator === 'remote' ? `TCP connection accepted from ${o.peerAddress}` : `TCP connected to ${o.peerAddress} port ${port}${c.localAddress ? ` from ${c.localAddress}` : ''}`)
  })
  session.on('open-sent', (m) => step(`OPEN sent: AS ${o.myAsn}, hold time ${m.holdTime} s, router ID ${m.routerId}`))
  session.on('open-received', (m) => {
    const caps = m.capabilities.map(describeReceivedCapability)
    result.capabilities = caps
    step(`OPEN received: hold time ${m.holdTime} s, router ID ${m.routerId}, capabilities: ${caps.join(', ') || 'none'}`)
  })
  session.on('connect-failed', (e) => {
    connectError = e
    step(`TCP connect to ${o.peerAddress} port ${port} failed: ${e.message}`)
  })
  session.on('notification-received', (n) => step(`NOTIFICATION received: ${describeNotification(n)}`))
  let retryingWithout = false
  session.on('capabilities-dropped', (codes) => {
    retryingWithout = true
    step(`the peer does not support ${codes.map(capabilityName).join(', ')}: connecting again without ${codes.length > 1 ? 'them' : 'it'}`)
  })
  session.on('notification-sent', (n) => step(`NOTIFICATION sent: ${describeNotification(n)}`))
  session.on('protocol-error', (e) => step(`malformed message from the peer (${e.action}): ${e.message}`))
  session.on('sent', (s) => {
    if (s.announced) result.announced = session.routesAdvertised
    step(`UPDATE sent: ${count(s.announced, 'prefix', 'prefixes')} announced, ${s.withdrawn} withdrawn in ${count(s.updates, 'message')}${s.skipped.length ? `; ${count(s.skipped.length, 'prefix', 'prefixes')} not sent (${[...new Set(s.skipped.map((x) => x.reason))].join(', ')})` : ''}`)
  })
  session.on('end-of-rib-sent', (f) => {
    result.endOfRib.push(familyName(f))
    step(`End-of-RIB sent (${familyName(f)} unicast)`)
  })
  session.on('route-refresh-received', (r) => step(`ROUTE-REFRESH received (${r.family ? familyName(r.family) : 'unknown family'}, subtype ${r.subtype}): table re-sent`))
  session.on('down', (d) => {
    lastDown = d
    if (d.reason !== 'stopped') step(`session down: ${d.message}`)
  })
  let bfd: BfdLink | undefined
  const cleanup = async () => {
    bfd?.close()
    server?.close()
  }
  try {
    if (o.passive) {
      server = await listenBgp({
        address: o.sourceAddress ?? (isIP(o.peerAddress) === 6 ? '::' : '0.0.0.0'), port, passwords: o.password ? new Map([[o.peerAddress, o.password]]) : undefined,
        ttl, minTtl, onConnection: (s) => (s.remoteAddress?.replace(/^::ffff:/, '') === o.peerAddress ? session.accept(s) : s.destroy()),
      })
      step(`listening on port ${port} for ${o.peerAddress}`)
    }
    session.setRoutes(routes)
    session.start()
    const deadline = (o.timeout ?? 30) * 1000
    const established = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), deadline)
      const done = (v: boolean) => { clearTimeout(timer); resolve(v) }
      session.once('established', () => done(true))
      // A NOTIFICATION, or a refusal, is an answer: no need to wait for the timeout.
      session.on('down', (d) => {
        // 2/7 naming capabilities we can leave out is not an answer yet: the session retries without them.
        if (retryingWithout && d.notification?.code === 2 && d.notification.subcode === 7) {
          retryingWithout = false
          return
        }
        if (d.notification || d.error) done(false)
      })
      o.signal?.addEventListener('abort', () => done(false), {once: true})
    })
    if (!established) {
      await session.stop({reason: o.signal?.aborted ? 'lbctl bgp probe interrupted' : 'lbctl bgp probe gave up'})
      if (lastDown && lastDown.reason !== 'stopped') throw explainDown(lastDown, o, sawTcp)
      if (o.signal?.aborted) throw problems('INTERRUPTED', 'interrupted before the session was established')
      if (sawTcp && o.password !== undefined) throw problems('BGP_NO_OPEN', `TCP to ${o.peerAddress} opened but no OPEN came back within ${o.timeout ?? 30} s`, 'Check the password on both sides.')
      if (o.password !== undefined) {
        throw problems('BGP_MD5_SUSPECTED', `session never opened while a password is set: a TCP MD5 mismatch drops packets silently (no answer from ${o.peerAddress} port ${port})`,
          'Check that --password matches the router\'s "neighbor … password", and that the router has one at all.')
      }
      if (gtsm) {
        throw problems('BGP_NO_ANSWER', `no session with ${o.peerAddress} while --ttl-security ${gtsm.hops} is set: segments with a TTL below ${gtsm.minTtl} are dropped silently, on both sides`,
          `Check that the router has "neighbor … ttl-security hops ${gtsm.hops}" (it must send TTL 255 too), and that it is no more than ${gtsm.hops} hop(s) away.`)
      }
      if (sawTcp) {
        throw problems('BGP_NO_OPEN', `TCP to ${o.peerAddress} opened but the session did not come up within ${o.timeout ?? 30} s: the router's OPEN or KEEPALIVE never got through, or ours did not`,
          'A router with "neighbor … ttl-security hops N" drops what is not sent with TTL 255: give --ttl-security N. Otherwise check the router\'s log for this neighbor.')
      }
      if (o.passive) throw problems('BGP_NO_PEER', `${o.peerAddress} did not connect within ${o.timeout ?? 30} s`, 'Check the router\'s neighbor statement points at this address, and that it is not passive too.')
      const refused = (connectError as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED'
      throw problems('BGP_NO_ANSWER', refused ? `TCP ${port} on ${o.peerAddress} refused the connection: no BGP speaker listens there`
        : `no answer on TCP ${port} from ${o.peerAddress}: check the router's neighbor statement and firewall`, `Try \`nc -vz ${o.peerAddress} ${port}\` from this host; check routes and ACLs.`)
    }
    const n = session.negotiated!
    Object.assign(result, {established: true, peerAsn: n.peerAsn, peerRouterId: n.peerRouterId, holdTime: n.holdTime, keepaliveTime: n.keepaliveTime, families: n.families.map(familyName)})
    if (o.extendedMessage) result.extendedMessage = n.extendedMessage
    if (o.extendedNextHop) result.extendedNextHop = n.extendedNextHop
    if (gtsm) result.ttlSecurity = gtsm
    step(`Established with AS ${n.peerAsn} (${ibgp ? 'iBGP' : 'eBGP'}), router ID ${n.peerRouterId}, hold time ${n.holdTime} s, keepalive ${n.keepaliveTime} s, families ${n.families.map(familyName).join(' ')}`)
    if (o.extendedMessage) step(n.extendedMessage ? 'extended messages (RFC 8654): both sides, UPDATEs up to 65535 octets' : 'extended messages (RFC 8654): not offered by the peer, UPDATEs stay within 4096 octets')
    if (o.extendedNextHop) {
      step(n.extendedNextHop ? 'extended next hop (RFC 8950): both sides, IPv4 routes may carry an IPv6 next hop'
        : 'extended next hop (RFC 8950): not offered by the peer for IPv4 unicast, IPv4 routes need an IPv4 next hop')
    }
    if (gtsm) step(`TTL security (RFC 5082): sending TTL ${gtsm.sendTtl}, accepting TTL ≥ ${gtsm.minTtl}`)
    if (o.bfd) {
      const local = o.sourceAddress ?? '' // checkProbeOptions: --bfd comes with --source-address
      try {
        bfd = openBfd(local, o.peerAddress)
      } catch (e) {
        throw problems('BFD_FAILED', `could not start BFD from ${local} to ${o.peerAddress}: ${(e as Error).message}`,
          `Another BFD speaker (FRR's bfdd?) may hold UDP port 3784 on ${local}: \`ss -ulpn sport = :3784\`.`)
      }
      bfd.session.on('state', (s) => step(`BFD ${s.from} → ${s.to}${s.diag ? ` (diag ${s.diag})` : ''}`))
      bfd.session.on('down', () => session.bfdDown())
      bfd.session.start()
    }
    await session.synced()
    const waitMs = (o.duration ?? 0) * 1000
    const lost = await new Promise<DownEvent | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), waitMs)
      session.once('down', (d) => { clearTimeout(timer); resolve(d) })
      o.signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(undefined) }, {once: true})
    })
    result.receivedPrefixes = session.adjRibIn.size
    result.bfd = bfd?.session.stateName
    if (lost) {
      await session.stop()
      result.exit = 'peer-closed'
      throw explainDown(lost, o, true)
    }
    if (o.gracefulRestart) {
      await session.stop({graceful: true})
      result.exit = 'graceful'
      step('closed without NOTIFICATION (graceful restart): the router keeps our routes for 120 s')
    } else {
      if (session.routesAdvertised > 0) {
        session.setRoutes([])
        await session.synced()
        step('routes withdrawn')
      }
      await session.stop({reason: 'lbctl bgp probe finished'})
      step('Cease sent (administrative shutdown), session closed')
    }
    return result
  } catch (e) {
    // Every early exit ends what is open with a NOTIFICATION (RFC 4271 6.7 Cease, 6/2 with the reason, RFC 9003): a
    // failure after OPEN, a timeout, an interrupt. What the probe saw so far goes with the error (--json prints it).
    if (session.state !== 'Idle') await session.stop({reason: 'lbctl bgp probe stopped early'})
    if (result.exit === 'withdrawn') result.exit = 'failed'
    throw withResult(e instanceof Error ? e : new Error(String(e)), result)
  } finally {
    await cleanup()
  }
}
