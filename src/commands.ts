// The explicit command registry (oclif "explicit" strategy): one import, no directory scan, so the CLI can be bundled.
// Command id → class. Add new commands here; the manifest test fails when this and oclif.manifest.json disagree.
import type {Command} from '@oclif/core'

export const COMMANDS: Record<string, Command.Class> = {}
