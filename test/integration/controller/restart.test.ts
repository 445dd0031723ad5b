// Restart safety (issue 3, "Done when"): kill -9 the controller at random moments while services are created and
// deleted; afterwards no two services hold an address they may not share, and no service that ever showed an
// address lost it or got another. Every change is checked as it happens, through a watch, not only at the end.
// Defaults: 20 kills, 1,000 services (LBCTL_RESTART_KILLS, LBCTL_RESTART_SERVICES change them).
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {crdManifests} from '../../../src/lib/api/crds.js'
import type {Service} from '../../../src/lib/api/types.js'
import {Kube} from '../../../src/lib/kube/client.js'
import {Informer} from '../../../src/lib/kube/informer.js'
import {type ApiServer, startApiServer} from '../../harness/apiserver/index.js'
import {type Daemon, illegalSharing, poolObj, startController, svcObj, type SvcOpts, waitFor} from './helpers.js'

const KILLS = Number(process.env.LBCTL_RESTART_KILLS ?? 20)
const SERVICES = Number(process.env.LBCTL_RESTART_SERVICES ?? 1000)
const SEED = Number(process.env.LBCTL_RESTART_SEED ?? Date.now() % 1_000_000)

const ips = (s: Service | undefined): string[] => (s?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip!).filter(Boolean)

describe(`controller restarts (seed ${SEED})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-restart-'))
  let server: ApiServer
  let watcher: Informer<Service> | undefined
  const daemons: Daemon[] = []
  afterAll(async () => {
    watcher?.stop()
    for (const d of daemons) if (d.proc.exitCode === null && d.proc.signalCode === null) await d.stop()
    await server?.stop()
    rmSync(dir, {recursive: true, force: true})
  })

  it(`${KILLS} kill -9 during ${SERVICES} creations and deletions lose and change no address`, async () => {
    const rand = fc.sample(fc.integer({min: 0, max: 1_000_000}), {numRuns: 10_000, seed: SEED})
    let r = 0
    const random = () => rand[r++ % rand.length] / 1_000_000
    server = await startApiServer({crds: crdManifests(), watchHistory: 1_000_000})
    const kc = join(dir, 'kc')
    await server.writeKubeconfig(kc)
    server.store.put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'metallb-system'}})
    server.store.put(poolObj('p', ['10.30.0.0/22'])) // 1,024 addresses: enough for every live service at the end

    // The judge: every status change, as it happens.
    const violations: string[] = []
    const firstSeen = new Map<string, string>()
    watcher = new Informer<Service>(new Kube({kubeconfig: kc}), {apiVersion: 'v1', kind: 'Service', plural: 'services'})
    watcher.on((type, svc, old) => {
      const key = `${svc.metadata.namespace}/${svc.metadata.name}`
      if (type === 'DELETED') return
      const before = ips(old).join(',')
      const now = ips(svc).join(',')
      if (before && now !== before) violations.push(`${key}: ${before} → ${now || '(none)'}`)
      if (now && !firstSeen.has(key)) firstSeen.set(key, now)
      if (now && firstSeen.get(key) !== now) violations.push(`${key}: first ${firstSeen.get(key)}, now ${now}`)
    })
    void watcher.run()
    await watcher.waitSynced()

    const identity = 'restart-test_1'
    const start = async (id: string) => {
      const d = await startController(kc, ['--lease-duration', '2s', '--identity', id])
      daemons.push(d)
      return d
    }
    let ctl = await start(identity)

    // The workload: creations with sharing keys, requested addresses and Local services; deletions of random ones.
    const live: string[] = []
    const requested: Set<string> = new Set()
    const workload = (async () => {
      for (let i = 0; i < SERVICES; i++) {
        const name = `s${i}`
        const kind = random()
        const o: SvcOpts = kind < 0.15
          ? {annotations: {'metallb.io/allow-shared-ip': `k${i % 20}`}, ports: [['TCP', 1000 + i] as [string, number]]}
          : kind < 0.25
            ? {annotations: {'metallb.io/loadBalancerIPs': `10.30.${Math.floor(random() * 4)}.${Math.floor(random() * 256)}`}}
            : kind < 0.3
              ? {spec: {externalTrafficPolicy: 'Local' as const, selector: {app: `a${i % 3}`}}, annotations: {'metallb.io/allow-shared-ip': 'local'}, ports: [['UDP', 2000 + i] as [string, number]]}
              : {}
        if (kind >= 0.15 && kind < 0.25) requested.add(name)
        server.store.put(svcObj(name, o))
        live.push(name)
        if (random() < 0.3 && live.length > 10) {
          const victim = live.splice(Math.floor(random() * live.length), 1)[0]
          server.store.delete('v1', 'Service', 'default', victim)
        }
        if (i % 25 === 24) await new Promise((res) => setTimeout(res, 20 + random() * 30))
      }
    })()
    const killer = (async () => {
      for (let k = 0; k < KILLS; k++) {
        await new Promise((res) => setTimeout(res, 200 + random() * 1800))
        await ctl.kill9()
        // Mostly the same identity (a container restarted in its pod takes its lease back at once); every fifth time
        // a new one, which must wait for the lease to expire.
        ctl = await start(k % 5 === 4 ? `restart-test_${k + 2}` : identity)
      }
    })()
    await Promise.all([workload, killer])

    // Settle: every live service that asked for nothing in particular gets an address (the pool has room for all).
    const plain = live.filter((n) => !requested.has(n))
    await waitFor(() => plain.every((n) => ips(watcher!.cache.get(`default/${n}`)).length > 0), {what: 'every plain service to be served', timeout: 60_000})
    const all = server.store.list('v1', 'Service') as Service[]
    expect(violations).toEqual([])
    expect(illegalSharing(all)).toEqual([])
    // Every address a service ever showed is the one it shows now (the watch saw every change; this is the final word).
    for (const s of all) {
      const key = `default/${s.metadata.name}`
      if (firstSeen.has(key)) expect(ips(s).join(','), key).toBe(firstSeen.get(key))
    }
    expect(daemons.length).toBe(KILLS + 1)
  }, 300_000)
})
