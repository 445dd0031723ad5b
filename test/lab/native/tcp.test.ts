// The native TCP path BGP depends on: MD5 (RFC 2385) and TTL/GTSM (RFC 5082) between two lab namespaces, plus the
// UDP receive-TTL path BFD depends on (RFC 5881 §5), on loopback.
import {readFileSync, readlinkSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {bundleEntry} from '../../harness/lab/bundle.js'
import {cleanupStale, Lab, type LabNode, missingNative, requireLab, requirePrerequisites} from '../../harness/lab/index.js'
import {loadNative} from '../../../src/lib/native/index.js'

const PREFIX = 'nt'

describe.runIf(requireLab([], missingNative()))('native TCP options between namespaces', () => {
  let lab: Lab
  let a: LabNode
  let b: LabNode
  let file: string

  beforeAll(async () => {
    cleanupStale(PREFIX)
    file = await bundleEntry('test/harness/lab/fixtures/tcp-main.ts')
    lab = await Lab.create(PREFIX)
    a = await lab.addNode('a')
    b = await lab.addNode('b')
    await lab.link(a, b, {aIp: '198.18.5.1/30', bIp: '198.18.5.2/30', aIp6: '2001:db8:5::1/64', bIp6: '2001:db8:5::2/64'})
  })
  afterAll(async () => {
    await lab?.destroy()
  })

  async function server(addr: string, port: number, peer: string, key: string, minTtl: number): Promise<void> {
    const p = a.spawn(process.execPath, [file, 'server', addr, String(port), peer, key, String(minTtl)])
    await new Promise<void>((resolve, reject) => {
      p.stdout!.on('data', (d: Buffer) => String(d).includes('listening') && resolve())
      p.once('exit', (c) => reject(new Error(`server exited ${c}`)))
    })
  }
  const client = async (addr: string, port: number, key: string, ttl: number): Promise<string> =>
    (await b.exec(process.execPath, [file, 'client', addr, String(port), key, String(ttl)], {check: true})).stdout.trim()

  it('MD5: the right key establishes, a wrong key or none never does (IPv4)', async () => {
    await server('198.18.5.1', 1791, '198.18.5.2', 'sesame', 0)
    expect(await client('198.18.5.1', 1791, 'sesame', 64)).toBe('connected')
    expect(await client('198.18.5.1', 1791, 'wrong', 64)).toBe('timeout')
    expect(await client('198.18.5.1', 1791, '-', 64)).toBe('timeout')
  })

  it('MD5 over IPv6', async () => {
    await server('2001:db8:5::1', 1792, '2001:db8:5::2', 'sesame6', 0)
    expect(await client('2001:db8:5::1', 1792, 'sesame6', 64)).toBe('connected')
    expect(await client('2001:db8:5::1', 1792, 'other', 64)).toBe('timeout')
  })

  it('GTSM: min TTL 255 accepts TTL 255 and drops TTL 254 (IPv4 and IPv6)', async () => {
    await server('198.18.5.1', 1793, '198.18.5.2', '-', 255)
    expect(await client('198.18.5.1', 1793, '-', 255)).toBe('connected')
    expect(await client('198.18.5.1', 1793, '-', 254)).toBe('timeout')
    await server('2001:db8:5::1', 1794, '2001:db8:5::2', '-', 255)
    expect(await client('2001:db8:5::1', 1794, '-', 255)).toBe('connected')
    expect(await client('2001:db8:5::1', 1794, '-', 254)).toBe('timeout')
  })
})

describe.runIf(requirePrerequisites('native tests', 'the native addon', missingNative()))('native UDP with received TTL (loopback)', () => {
  it('reports the TTL a datagram arrived with, for both families', async () => {
    const m = loadNative()
    for (const [family, addr] of [[4, '127.0.0.1'], [6, '::1']] as const) {
      const got = new Promise<{ttl: number; data: string}>((resolve) => {
        const rx = new m.UdpSocket(family, (data, _a, _p, ttl) => {
          rx.close()
          resolve({ttl, data: String(data)})
        })
        rx.bind(addr, 0)
        const tx = new m.UdpSocket(family, () => undefined)
        tx.setTtl(7)
        tx.bind(addr, 0)
        const port = localPort(rx.fd)
        tx.send(Buffer.from('x'), addr, port)
        tx.close()
      })
      expect(await got).toEqual({ttl: 7, data: 'x'})
    }
  })

  it('setTtl is observable with getTtl, and bad arguments are typed errors', () => {
    const m = loadNative()
    const fd = m.tcpSocket(6)
    m.setTtl(fd, 6, 255)
    expect(m.getTtl(fd, 6)).toBe(255)
    expect(() => m.setTtl(fd, 6, 0)).toThrow(RangeError)
    expect(() => m.setMd5(fd, 'not-an-ip', 'k')).toThrow(TypeError)
    expect(() => m.setMd5(fd, '::1', 'x'.repeat(81))).toThrow(/1–80/)
    m.setMd5(fd, '::1', null) // removing an absent key is not an error
    m.close(fd)
    expect(() => m.bind(fd, 6, '::1', 0)).toThrow(expect.objectContaining({code: 'EBADF', syscall: 'bind'}))
  })
})

/** The local port of a socket fd, via /proc (the addon has no getsockname; tests only). */
function localPort(fd: number): number {
  const inode = /socket:\[(\d+)\]/.exec(readlinkSync(`/proc/self/fd/${fd}`))![1]
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols[9] === inode) return parseInt(cols[1].split(':')[1], 16)
    }
  }
  throw new Error('socket not found in /proc/net/udp*')
}

describe.runIf(requireLab(['setpriv'], missingNative()))('packet sockets without CAP_NET_RAW', () => {
  it('lbctl l2 probe says CAP_NET_RAW is needed, exit 5 (MISSING)', async () => {
    const cli = await bundleEntry('test/harness/lab/fixtures/l2-probe-cli-main.ts')
    const lab = await Lab.create(PREFIX)
    try {
      const lan = await lab.addBridge('lan')
      const c = await lab.addNode('c', {bridge: lan, ipv4: '198.18.6.1/24'})
      // Root, but with CAP_NET_RAW removed from the bounding set, so exec cannot grant it.
      const r = await c.exec('setpriv', ['--bounding-set', '-net_raw', '--inh-caps', '-net_raw', process.execPath, cli,
        '--interface', 'eth0', '--timeout', '100', '--json', '203.0.113.10'])
      expect(r.exitCode).toBe(5)
      const err = JSON.parse(r.stdout).error
      expect(err.code).toBe('CAP_NET_RAW')
      expect(err.message).toMatch(/not permitted/)
      expect(err.hint).toMatch(/CAP_NET_RAW/)
    } finally {
      await lab.destroy()
    }
  })
})
