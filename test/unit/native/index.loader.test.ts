import {writeFileSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it, vi} from 'vitest'

describe('loadNative', () => {
  afterEach(() => {
    delete process.env.LBCTL_NATIVE_ADDON
    vi.resetModules()
  })

  it('an addon that does not load is NATIVE_MISSING (exit 5) with the rebuild hint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-native-'))
    try {
      process.env.LBCTL_NATIVE_ADDON = join(dir, 'lbctl_native.node')
      writeFileSync(process.env.LBCTL_NATIVE_ADDON, 'not an ELF file')
      vi.resetModules()
      const {loadNative, nativeAvailable} = await import('../../../src/lib/native/index.js')
      expect(() => loadNative()).toThrow(expect.objectContaining({code: 'NATIVE_MISSING', category: 'missing', hint: expect.stringMatching(/npm rebuild/)}))
      expect(nativeAvailable()).toBe(false)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('rawSocketError turns EPERM into CAP_NET_RAW and leaves other errors alone', async () => {
    const {rawSocketError} = await import('../../../src/lib/native/index.js')
    const eperm = Object.assign(new Error('socket(AF_PACKET): Operation not permitted'), {code: 'EPERM'})
    expect(rawSocketError(eperm, 'opening eth0')).toMatchObject({code: 'CAP_NET_RAW', category: 'missing'})
    const other = Object.assign(new Error('x'), {code: 'ENODEV'})
    expect(rawSocketError(other, 'opening eth0')).toBe(other)
  })
})
