// Key rotation in one step. An operator replaces only the Secret's `secretkey`; kubelet updates the mounted file on each
// node at its own moment (up to a minute or two apart). A speaker that started sending with the new key at once would
// be unreadable to the speakers that have not seen it yet — a false failover of every address it owns. So a speaker
// that sees its key file change keeps the key it had in memory:
//   phase 1 (grace): it still sends with the old key and accepts the old and the new;
//   phase 2 (grace): it sends with the new key and still accepts the old;
//   then it forgets the old key.
// This holds as long as every speaker sees the new file within one grace period of the first (kubelet's sync period
// plus its cache TTL: ≈ 2 min by default, hence the 3 min default). The Secret's `previoussecretkey` stays accepted
// as it was. A speaker restarted during the roll-out knows only the files (the new key): every member answers a member
// in the key that member last sealed with, while that key is in its ring (wire.ts), so the restarted speaker reads
// every member that has seen the new file at once; only members that have not seen it yet stay unreadable to it until
// they do, as they would be without the restart. Pure: the caller passes the time.
import type {KeyRing} from './auth.js'

export const DEFAULT_KEY_GRACE_MS = 180_000

export type RotationPhase = 'steady' | 'announcing' | 'retiring'

export class KeyRotation {
  private files?: KeyRing
  /** The key in use before the file changed, and when the change was seen. */
  private old?: {key: Buffer; since: number}
  /** The key last sent with, kept while the file is unreadable (a half-written file must not cut the rotation short). */
  private lastSent?: Buffer

  constructor(private readonly graceMs: number = DEFAULT_KEY_GRACE_MS) {}

  /** The key files as just read (undefined: no usable key — gossip stops; the key last sent with is remembered). */
  update(files: KeyRing | undefined, now: number): void {
    const sending = this.files ? this.ring(now)?.current : this.lastSent
    if (!files) {
      this.lastSent = sending
      this.files = undefined
      this.old = undefined
      return
    }
    if (sending && !sending.equals(files.current)) this.old = {key: sending, since: now}
    this.files = files
  }

  phase(now: number): RotationPhase {
    if (!this.old) return 'steady'
    const age = now - this.old.since
    return age < this.graceMs ? 'announcing' : age < 2 * this.graceMs ? 'retiring' : 'steady'
  }

  /** The ring in effect at `now`: the key to send with (current) and every key accepted on receive. */
  ring(now: number): KeyRing | undefined {
    const f = this.files
    if (!f) return undefined
    const phase = this.phase(now)
    if (phase === 'steady') return f
    const old = this.old!.key
    const send = phase === 'announcing' ? old : f.current
    const accepted = [f.current, old].filter((k) => !k.equals(send) && !(f.previous && k.equals(f.previous)))
    return {current: send, previous: f.previous, accepted}
  }

  /** When the ring changes next without a new read (a phase ends), or undefined. */
  nextChangeAt(now: number): number | undefined {
    const p = this.phase(now)
    if (p === 'steady') return undefined
    return this.old!.since + (p === 'announcing' ? this.graceMs : 2 * this.graceMs)
  }
}
