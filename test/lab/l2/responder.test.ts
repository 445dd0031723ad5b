// Issue 5 "Done when": arping and ndisc6 get the owner's MAC for owned addresses and no answer for others.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {cleanupStale, missingNative, requireLab} from '../../harness/lab/index.js'
import {arping, l2Lab, type L2Lab, ndisc, UNOWNED4, UNOWNED6, VIP4, VIP6} from '../../harness/lab/l2-lab.js'

const PREFIX = 'l2r'

describe.runIf(requireLab(['arping', 'ndisc6'], missingNative()))('L2 responder in the lab', () => {
  let l: L2Lab
  beforeAll(async () => {
    cleanupStale(PREFIX)
    l = await l2Lab(PREFIX)
    await l.ra.own(VIP4)
    await l.ra.own(VIP6)
  })
  afterAll(async () => {
    await l?.destroy()
  })

  it('arping gets the owning node\'s MAC for an owned IPv4 address', async () => {
    expect(await arping(l.client, VIP4)).toEqual([l.a.mac])
  })

  it('ndisc6 gets the owning node\'s MAC for an owned IPv6 address', async () => {
    expect(await ndisc(l.client, VIP6)).toEqual([l.a.mac])
  })

  it('nobody answers for addresses nobody owns, and the responders count them as notOwned', async () => {
    const before = (await l.ra.stats()).dropped.notOwned
    expect(await arping(l.client, UNOWNED4)).toEqual([])
    expect(await ndisc(l.client, UNOWNED6, 500)).toEqual([])
    const after = await l.ra.stats()
    expect(after.dropped.notOwned).toBeGreaterThanOrEqual(before + 2)
    // Requests are answered in the kernel by the offload (XDP) where it loads, else in user space.
    expect(after.answered.arp + after.offload.answered).toBeGreaterThanOrEqual(1)
    expect(after.answered.ndp + after.offload.ndpAnswered).toBeGreaterThanOrEqual(1)
  })

  it('an address owned only on another interface is not answered (wrongInterface)', async () => {
    await l.ra.own('203.0.113.20', ['eth9'])
    try {
      expect(await arping(l.client, '203.0.113.20')).toEqual([])
      expect((await l.ra.stats()).dropped.wrongInterface).toBeGreaterThanOrEqual(1)
    } finally {
      await l.ra.release('203.0.113.20')
    }
  })
})
