/**
 * lbctl's process after bin/run.js: oclif, the command registry and everything the commands import statically, built
 * into one script (scripts/bundle.mjs → dist/cli/main.cjs) that bin/run.js compiles with a V8 code cache
 * (src/cli/code-cache.ts). Start-up is most of a CLI's latency (issue 11).
 *
 * oclif runs every invocation, as before. Two shortcuts, both oclif's own options:
 * - the root plugin's commands come from the registry already in this script (oclif's memo of the explicit strategy's
 *   target, Plugin.commandCache) instead of oclif importing the registry file;
 * - a command of lbctl's own (`pool list`, not help, not a plugin's command, not an unknown one) runs with a Config
 *   that holds only the root plugin: the core plugins (help, autocomplete) add neither hooks nor anything else such a
 *   command uses, so their discovery (package.json scans, require.resolve, manifests) is skipped. Everything else
 *   (help, `autocomplete`, mistyped commands and their hook) loads oclif's Config in full.
 */
import {Config, Errors, execute, Plugin} from '@oclif/core'
import {COMMANDS} from '../commands.js'
import {normalizeArgv} from '../lib/cli/argv.js'

/** The registry's command ids (`pool:list`), as oclif spells them. */
const IDS = new Set(Object.keys(COMMANDS))

/**
 * Which root command `argv` (normalized, as oclif sees it) runs, when it plainly runs one: its leading words, joined
 * by `:`, name a command of the registry, and no help is asked for. Undefined otherwise (oclif decides).
 */
export function ownCommand(argv: readonly string[]): string | undefined {
  const end = argv.indexOf('--')
  const head = end < 0 ? argv : argv.slice(0, end)
  if (head.includes('--help') || head.includes('-h') || head.includes('--version')) return undefined
  const words: string[] = []
  for (const a of head) {
    if (a.startsWith('-')) break
    words.push(a)
  }
  // the longest run of leading words that is a command (`pool set 1.2.3.4-1.2.3.5` → pool:set)
  for (let n = words.length; n > 0; n--) {
    const id = words.slice(0, n).join(':')
    if (IDS.has(id)) return id
  }
  return undefined
}

type WithCommandCache = {commandCache?: typeof COMMANDS}

/**
 * Runs lbctl with `argv` (the arguments after the program name); `root` is the package root (package.json). `mark`
 * is told when each phase ends (the start-up benchmark's breakdown, bench/cli-phases.ts).
 */
export async function main(root: string, argv: readonly string[], mark: (phase: string) => void = () => {}): Promise<void> {
  const args = normalizeArgv(argv)
  let loadOptions: Config | {root: string; plugins: Map<string, Plugin>}
  try {
    if (ownCommand(args)) {
      const plugin = new Plugin({isRoot: true, root})
      ;(plugin as unknown as WithCommandCache).commandCache = COMMANDS
      await plugin.load()
      loadOptions = {root, plugins: new Map([[plugin.name, plugin]])}
      mark('root plugin (package.json, oclif.manifest.json)')
    } else {
      const config = await Config.load({root})
      ;(config.getPluginsList().find((p) => p.isRoot) as unknown as WithCommandCache).commandCache = COMMANDS
      loadOptions = config
      mark('oclif Config with plugin discovery')
    }
  } catch (error) {
    await Errors.handle(error as Error)
    return
  }
  await execute({args, loadOptions})
  mark('oclif run: Config, flags, command, API calls, output')
}

export {normalizeArgv}
