// The network lab: see netns.ts (namespaces, bridges, links) and prereq.ts (requireLab for suites).
export {Lab, LabNode, Bridge, randomMac, sh, withLab, cleanupStale, listNamespaces} from './netns.js'
export type {ExecOptions, ExecResult, LinkEnd, LinkOptions, NodeOptions} from './netns.js'
export {labPrerequisites, missingBuild, missingFrr, missingGobgp, missingNative, missingPodman, missingTools, missingXdp, requireLab, requirePrerequisites} from './prereq.js'
export type {LabPrerequisites} from './prereq.js'
