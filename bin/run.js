#!/usr/bin/env node
// lbctl entry point. `--version` is answered before oclif loads: start-up is most of a CLI's latency.
import {readFileSync} from 'node:fs'

const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`lbctl/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // Secrets given as flags move into the environment before anything else runs, so oclif's DEBUG dumps of argv, error
  // reports and child processes never show them (the command reads them back from there and warns).
  const secret = {'--password': 'LBCTL_BGP_PASSWORD'}
  for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i]
    if (a === '--') break
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    if (!(name in secret)) continue
    const value = inline ?? process.argv[i + 1]
    if (value === undefined) break
    process.env[secret[name]] = value
    process.env.LBCTL_SECRET_FROM_ARGV = name.slice(2)
    process.argv.splice(i, inline === undefined ? 2 : 1)
    i--
  }
  // Conventions oclif lacks (src/lib/cli/argv.ts): `-h`, cluster flags before the command (as kubectl passes them).
  const {normalizeArgv} = await import('../dist/src/lib/cli/argv.js')
  const args = normalizeArgv(process.argv.slice(2))
  // Errors are hard-wrapped to the terminal's width only on a terminal: piped or logged, a message stays one line.
  if (!process.stderr.isTTY && !process.env.OCLIF_COLUMNS) {
    const {createRequire} = await import('node:module')
    const require = createRequire(import.meta.url)
    // not in the package's exports: reach it next to its entry point (oclif reads it on every error it prints)
    require(require.resolve('@oclif/core').replace(/index\.js$/, 'screen.js')).errtermwidth = 1_000_000
  }
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url, args})
}
