// Membership for the speaker: who is alive, by authenticated SWIM gossip over UDP (see membership.ts for the rules).
export {DEFAULT_MEMBERLIST_PORT, GossipMembership} from './membership.js'
export type {GossipMembershipOptions} from './membership.js'
export {DEFAULT_TIMERS, FAST_TIMERS, resolveTimers, suspicionTimeoutMs} from './options.js'
export type {MembershipTimers} from './options.js'
export {DROP_REASONS} from './wire.js'
export type {DropReason} from './wire.js'
export type {Candidate, LivenessView, Membership, MembershipEvents, MembershipStats} from './types.js'
