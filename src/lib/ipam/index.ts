// src/lib/ipam: pools and the allocator — pure (ARCHITECTURE.md rule 2).
export * from './allocator.js'
export * from './freeset.js'
export * from './plan.js'
export * from './pools.js'
export * from './ranges.js'
export * from './reasons.js'
export * from './request.js'
export {admits, pinnedPools, sharingProblem} from './select.js'
