#!/usr/bin/env node
// lbctl entry point. `--version` is answered before anything else loads: start-up is most of a CLI's latency.
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
  // oclif, the command registry and what the commands import statically are one script, compiled with a V8 code cache
  // (src/cli/code-cache.ts, src/cli/main.ts): the cache is written after a run that compiled code it lacked.
  const {cacheDir, loadScript} = await import('../dist/src/cli/code-cache.js')
  const script = loadScript(new URL('../dist/cli/main.cjs', import.meta.url).pathname, cacheDir())
  const {main, ownCommand, normalizeArgv} = script.exports
  const args = process.argv.slice(2)
  const key = ownCommand(normalizeArgv(args)) ?? '(oclif)'
  process.once('exit', () => script.save(key))
  await main(new URL('..', import.meta.url).pathname, args)
}
