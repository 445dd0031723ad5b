import {EventEmitter} from 'node:events'
import {describe, expect, it} from 'vitest'
import {DaemonExit, daemonExitCode} from '../../../src/lib/daemon/exit.js'
import {Lifecycle} from '../../../src/lib/daemon/lifecycle.js'
import {createLogger} from '../../../src/lib/daemon/log.js'
import {FakeClock} from '../../support/fake-clock.js'

function setup(deadlineMs = 1000) {
  const lines: Array<Record<string, unknown>> = []
  const log = createLogger({level: 'info', component: 't', destination: {write: (s: string) => lines.push(JSON.parse(s))} as unknown as NodeJS.WritableStream})
  const clock = new FakeClock()
  const signals = new EventEmitter()
  const lc = new Lifecycle({log, clock, deadlineMs, signals: signals as unknown as NodeJS.Process})
  return {lc, lines, clock, signals}
}

describe('daemon lifecycle', () => {
  it('SIGTERM runs the hooks newest first, each awaited, once; exit 0', async () => {
    const {lc, signals, lines} = setup()
    const order: string[] = []
    lc.onShutdown('http', () => void order.push('http'))
    lc.onShutdown('lease', async () => {
      await Promise.resolve()
      order.push('lease')
    })
    lc.onShutdown('controller', () => void order.push('controller'))
    const done = lc.listen()
    expect(lc.stoppingNow).toBe(false)
    signals.emit('SIGTERM')
    signals.emit('SIGINT')
    expect(lc.stoppingNow).toBe(true)
    expect(await done).toBe(DaemonExit.OK)
    expect(order).toEqual(['controller', 'lease', 'http'])
    expect(lines.map((l) => l.msg)).toEqual(['shutting down', 'stopped'])
    expect(lines[0]).toMatchObject({reason: 'SIGTERM', component: 't'})
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM') + signals.listenerCount('unhandledRejection')).toBe(0)
  })

  it('a hook that fails is logged, the others still run, and the exit code says so', async () => {
    const {lc, lines} = setup()
    const order: string[] = []
    lc.onShutdown('a', () => void order.push('a'))
    lc.onShutdown('b', () => {
      throw new Error('boom')
    })
    expect(await lc.shutdown('test')).toBe(DaemonExit.UNCLEAN_SHUTDOWN)
    expect(order).toEqual(['a'])
    expect(lines.find((l) => l.msg === 'shutdown step failed')).toMatchObject({hook: 'b', err: 'boom'})
  })

  it('hooks that hang are abandoned at the deadline', async () => {
    const {lc, clock, lines} = setup(500)
    lc.onShutdown('hangs', () => new Promise(() => undefined))
    const code = lc.shutdown('SIGTERM')
    await Promise.resolve()
    clock.advance(499)
    let settled = false
    void code.then(() => (settled = true))
    await new Promise((r) => setImmediate(r))
    expect(settled).toBe(false)
    clock.advance(1)
    expect(await code).toBe(DaemonExit.UNCLEAN_SHUTDOWN)
    expect(lines.at(-1)).toMatchObject({msg: 'shutdown did not finish in time; exiting anyway', deadlineMs: 500})
  })

  it('a start failure keeps its exit code through the shutdown', async () => {
    const {lc} = setup()
    expect(await lc.shutdown('start failed', daemonExitCode('unreachable'))).toBe(3)
  })

  it('every category has a documented daemon exit code', () => {
    expect([daemonExitCode('bad-input'), daemonExitCode('unreachable'), daemonExitCode('missing'), daemonExitCode('conflict'), daemonExitCode('bug')]).toEqual([2, 3, 5, 6, 70])
  })
})
