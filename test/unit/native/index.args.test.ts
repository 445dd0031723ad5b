// Arguments the addon gets from JavaScript are checked in C++, never truncated or trusted.
import {readdirSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {missingNative, requirePrerequisites} from '../../harness/lab/prereq.js'
import {loadNative} from '../../../src/lib/native/index.js'

describe.runIf(requirePrerequisites('native addon tests', 'the native addon', missingNative()))('native addon arguments', () => {
  it('a UDP port outside 0–65535 is a RangeError, not a different port (65536 + 53 used to bind port 53)', () => {
    const n = loadNative()
    const s = new n.UdpSocket(4, () => undefined)
    try {
      expect(() => s.bind('127.0.0.1', 65536 + 53)).toThrow(/port must be an integer 0–65535/)
      expect(() => s.bind('127.0.0.1', -1)).toThrow(RangeError)
      expect(() => s.bind('127.0.0.1', 1.5)).toThrow(RangeError)
      expect(() => s.send(Buffer.from('x'), '127.0.0.1', 70000)).toThrow(/port must be/)
    } finally {
      s.close()
    }
  })

  it('interfaceInfo of a missing interface fails naming it, and closes its socket on that path (regression guard)', () => {
    const n = loadNative()
    const fds = (): number => readdirSync('/proc/self/fd').length
    const before = fds()
    for (let i = 0; i < 200; i++) expect(() => n.interfaceInfo('nosuchif0')).toThrow(/nosuchif0/)
    expect(fds()).toBeLessThanOrEqual(before + 2)
  })
})
