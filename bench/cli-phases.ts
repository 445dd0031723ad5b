// Where the CLI's start-up goes, phase by phase (bench/cli.bench.ts runs this as a program, once per sample):
// `node dist/bench/cli-phases.js ARGS…` does what bin/run.js does for ARGS, step by step, and prints on stderr, as
// the last line, a JSON object: the CPU time (user + system, ms, process.cpuUsage) of each phase. CPU time, not wall
// time, so that the split holds on a busy machine; the wall times are cli.bench.ts's rows.
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import vm from 'node:vm'

const cpu = (): number => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1000
}
const phases: Array<[string, number]> = [['node start-up, before the first line of the program', cpu()]]
const mark = (name: string): void => void phases.push([name, cpu()])

const root = new URL('../..', import.meta.url).pathname
const {cacheDir, decodeCache} = await import(pathToFileURL(join(root, 'dist/src/cli/code-cache.js')).href) as typeof import('../src/cli/code-cache.js')
mark('load the loader (dist/src/cli/code-cache.js and its node built-ins)')

const file = join(root, 'dist/cli/main.cjs')
const bytes = readFileSync(file)
const sha256 = createHash('sha256').update(bytes).digest('hex')
mark('read the script and its SHA-256')
const dir = cacheDir()
let cachedData: Buffer | undefined
try {
  const c = dir ? decodeCache(readFileSync(join(dir, `main-${sha256.slice(0, 16)}-${process.version}-${process.arch}.v8`))) : undefined
  if (c?.header.sha256 === sha256) cachedData = c.data
} catch {
  // no cache: compiled from source
}
mark('read the code cache')
const script = new vm.Script(bytes.toString('utf8'), {filename: file, cachedData})
mark(cachedData && !script.cachedDataRejected ? 'compile (from the code cache)' : 'compile (no code cache)')
const url = pathToFileURL(file)
const mod = {exports: {} as Record<string, unknown>}
;(script.runInThisContext() as (...a: unknown[]) => void)(createRequire(url), mod, mod.exports, file, join(root, 'dist/cli'), url.href,
  (s: string) => import(s.startsWith('.') ? new URL(s, url).href : s))
mark('run the script\'s top level (oclif, yaml, chalk, the HTTP client: module initialisation)')
const main = mod.exports.main as (root: string, argv: string[], mark: (phase: string) => void) => Promise<void>
await main(root, process.argv.slice(2), mark)
process.once('exit', () => {
  mark('exit')
  const out: Record<string, number> = {}
  for (let i = 1; i < phases.length; i++) out[phases[i]![0]] = phases[i]![1] - phases[i - 1]![1]
  out[phases[0]![0]] = phases[0]![1]
  process.stderr.write(`\n${JSON.stringify(out)}\n`)
})
