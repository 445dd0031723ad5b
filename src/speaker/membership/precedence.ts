// SWIM's precedence of membership updates (Das, Gupta, Motivala 2002 §4.2, with memberlist's 'left'): which news about
// a member overrides what we hold. A higher incarnation always wins; at the same incarnation, suspect overrides alive,
// dead overrides alive and suspect, left overrides everything but left. Only the member itself raises its incarnation,
// which is how it refutes a suspicion.
import type {Update} from './codec.js'
import type {LocalState} from './swim.js'

export function supersedes(held: {state: LocalState; incarnation: number}, u: Update): boolean {
  const newer = u.incarnation > held.incarnation
  const same = u.incarnation === held.incarnation
  switch (u.state) {
    case 'alive':
      return newer
    case 'suspect':
      return newer || (same && held.state === 'alive')
    case 'dead':
      return newer || (same && (held.state === 'alive' || held.state === 'suspect'))
    case 'left':
      return newer || (same && held.state !== 'left')
  }
}
