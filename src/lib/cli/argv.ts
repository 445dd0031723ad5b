/**
 * lbctl's command-line conventions that oclif does not have, applied to argv before oclif sees it (bin/run.js):
 *
 * - `-h` is `--help` (no command uses `-h` for anything else);
 * - the cluster flags may come before the command, as kubectl passes them to a plugin
 *   (`kubectl lbctl -n metallb-system pool list` runs `lbctl -n metallb-system pool list`): they move after it.
 *
 * Pure: argv in, argv out.
 */

/** Cluster flags that take a value, by every spelling (see clusterFlags in base.ts). */
const VALUE_FLAGS = new Set(['--kubeconfig', '--context', '--namespace', '-n', '--output', '-o'])
const BOOLEAN_FLAGS = new Set(['--json'])

export function normalizeArgv(argv: readonly string[]): string[] {
  const end = argv.indexOf('--')
  const head = end < 0 ? [...argv] : argv.slice(0, end)
  const tail = end < 0 ? [] : argv.slice(end)
  const moved: string[] = []
  let i = 0
  while (i < head.length) {
    const a = head[i]!
    const name = a.startsWith('--') && a.includes('=') ? a.slice(0, a.indexOf('=')) : a
    if (BOOLEAN_FLAGS.has(a)) {
      moved.push(a)
      i += 1
    } else if (VALUE_FLAGS.has(name) && name !== a) {
      moved.push(a) // --namespace=x
      i += 1
    } else if (VALUE_FLAGS.has(a) && i + 1 < head.length) {
      moved.push(a, head[i + 1]!)
      i += 2
    } else if (/^-[no]\S+$/.test(a) && VALUE_FLAGS.has(a.slice(0, 2))) {
      moved.push(a) // -nmetallb-system
      i += 1
    } else break
  }
  const rest = head.slice(i).map((a) => (a === '-h' ? '--help' : a))
  // Nothing but flags (`lbctl -n x`): leave them where they were, so oclif reports them.
  if (rest.length === 0) return [...moved, ...tail]
  return [...rest, ...moved, ...tail]
}
