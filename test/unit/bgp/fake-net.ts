// In-memory TCP for session tests: a connected pair of Conns, deliverable or frozen, with a writable backlog knob.
import {EventEmitter} from 'node:events'
import type {Conn, Transport} from '../../../src/lib/bgp/session-types.js'

export class FakeConn extends EventEmitter implements Conn {
  peer?: FakeConn
  /** While frozen, written bytes are held (a stopped peer, a cut link). */
  frozen = false
  held: Buffer[] = []
  ended = false
  destroyed = false
  writableLength = 0
  written: Buffer[] = []
  constructor(readonly localAddress: string, readonly remoteAddress: string) {
    super()
  }

  write(data: Uint8Array): boolean {
    if (this.destroyed || this.ended) return false
    const b = Buffer.from(data)
    this.written.push(b)
    if (this.frozen) this.held.push(b)
    else this.deliver(b)
    return true
  }

  private inbox: Buffer[] = []

  private deliver(b: Buffer): void {
    const p = this.peer
    queueMicrotask(() => {
      if (!p || p.destroyed) return
      // Like a socket, hold data until someone reads.
      if (p.listenerCount('data') === 0) p.inbox.push(b)
      else p.emit('data', b)
    })
  }

  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    super.on(event, listener)
    if (event === 'data' && this.inbox.length) {
      const queued = this.inbox.splice(0)
      queueMicrotask(() => queued.forEach((b) => this.emit('data', b)))
    }
    return this
  }

  thaw(): void {
    this.frozen = false
    for (const b of this.held.splice(0)) this.deliver(b)
  }

  end(): void {
    if (this.ended) return
    this.ended = true
    const p = this.peer
    queueMicrotask(() => {
      if (p && !p.destroyed) {
        p.destroyed = true
        p.emit('close')
      }
      this.destroy()
    })
  }

  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    queueMicrotask(() => {
      this.emit('close')
      const p = this.peer
      if (p && !p.destroyed) {
        p.destroyed = true
        p.emit('close')
      }
    })
  }
}

export function pair(a = '198.18.0.2', b = '198.18.0.1'): [FakeConn, FakeConn] {
  const x = new FakeConn(a, b)
  const y = new FakeConn(b, a)
  x.peer = y
  y.peer = x
  return [x, y]
}

/** A transport whose connect() is answered by `answer` (a function that gets the far end, or throws). */
export function fakeTransport(answer: (far: FakeConn) => void): Transport & {attempts: number[]; clockNow?: () => number} {
  const t = {
    attempts: [] as number[],
    clockNow: undefined as (() => number) | undefined,
    async connect(signal: AbortSignal) {
      t.attempts.push(t.clockNow?.() ?? 0)
      if (signal.aborted) throw new Error('aborted')
      const [near, far] = pair()
      answer(far)
      return near
    },
  }
  return t
}

/** Let queued microtasks and immediates run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r))
}
