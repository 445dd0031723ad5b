/**
 * oclif `command_not_found` hook: a mistyped command names the closest command (`lbctl pool lst` → `lbctl pool list`),
 * exit code 2 (bad input).
 */
import {Errors, type Hook} from '@oclif/core'

/** Edit distance between two strings (Levenshtein). */
export function distance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]!
}

/** The command ids closest to `id` (ids use spaces), best first; none when nothing is close. */
export function closestCommands(id: string, ids: readonly string[]): string[] {
  const scored = ids.map((c) => ({c, d: distance(id, c)})).filter(({c, d}) => d <= Math.max(2, Math.floor(c.length / 3)))
  const best = Math.min(...scored.map((s) => s.d))
  return scored.filter((s) => s.d === best).map((s) => s.c).sort()
}

const hook: Hook<'command_not_found'> = async function (opts) {
  const id = opts.id.replaceAll(':', ' ')
  const ids = opts.config.commands.filter((c) => !c.hidden).map((c) => c.id.replaceAll(':', ' '))
  const near = closestCommands(id, ids)
  const topics = [...new Set(ids.map((c) => c.split(' ')[0]!))].sort()
  const hint = near.length > 0 ? `Did you mean \`lbctl ${near.join('` or `lbctl ')}\`?` : `Commands: ${topics.join(', ')}; \`lbctl --help\` lists them.`
  throw new Errors.CLIError(`command "${id}" not found`, {exit: 2, code: 'UNKNOWN_COMMAND', suggestions: [hint]})
}

export default hook
