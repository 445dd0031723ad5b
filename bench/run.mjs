// `npm run bench [-- ID…]`: runs the built benchmarks (dist/bench/*.bench.js) and rewrites their sections of
// BENCHMARKS.md, leaving the other sections as they were. Benchmarks measure; they never fail the build.
import {readdirSync, readFileSync, writeFileSync, existsSync} from 'node:fs'
import {cpus, totalmem, release} from 'node:os'
import {execSync} from 'node:child_process'

const root = new URL('..', import.meta.url)
const only = process.argv.slice(2)
const dir = new URL('dist/bench/', root)
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.js')).sort()
const file = new URL('BENCHMARKS.md', root)
let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nWritten by `npm run bench`; each section is replaced when its benchmark runs again.\n'

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`
const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3))

function section(r, when) {
  const lines = [`<!-- bench:${r.id} -->`, `## ${r.title}`, '', `Run ${when} on ${machine}.`, '', `**Method.** ${r.method}`, '']
  lines.push('| metric | lbctl | reference | ratio | target | met |', '|---|---|---|---|---|---|')
  for (const row of r.rows) {
    const ref = row.reference ? `${row.reference.name}: ${fmt(row.reference.value)} ${row.unit}` : '—'
    const ratio = row.ratio !== undefined ? `${fmt(row.ratio)}×` : '—'
    const met = row.met === undefined ? '—' : row.met ? 'yes' : '**no**'
    lines.push(`| ${row.metric} | ${fmt(row.value)} ${row.unit} | ${ref} | ${ratio} | ${row.target ?? '—'} | ${met} |`)
  }
  for (const n of r.notes ?? []) lines.push('', n)
  lines.push(`<!-- /bench:${r.id} -->`)
  return lines.join('\n')
}

function missingTools(needs = []) {
  return needs.filter((t) => {
    if (t === 'root') return process.getuid?.() !== 0
    try {
      execSync(`command -v ${t} || test -x /usr/lib/frr/${t}`, {stdio: 'ignore', shell: '/bin/bash'})
      return false
    } catch {
      return true
    }
  })
}

let failed = 0
for (const f of files) {
  const {bench} = await import(new URL(f, dir).href)
  if (!bench || (only.length && !only.includes(bench.id))) continue
  const miss = missingTools(bench.needs)
  if (miss.length) {
    console.error(`bench ${bench.id}: NOT RUN — missing ${miss.join(', ')}`)
    continue
  }
  console.error(`bench ${bench.id}: ${bench.title} …`)
  try {
    const report = await bench.run()
    const text = section(report, new Date().toISOString().slice(0, 10))
    const re = new RegExp(`<!-- bench:${bench.id} -->[\\s\\S]*?<!-- /bench:${bench.id} -->`)
    doc = re.test(doc) ? doc.replace(re, text) : `${doc.trimEnd()}\n\n${text}\n`
    writeFileSync(file, doc)
    for (const row of report.rows) console.error(`  ${row.metric}: ${fmt(row.value)} ${row.unit}${row.ratio !== undefined ? ` (${fmt(row.ratio)}× ${row.reference?.name})` : ''}${row.met === false ? '  ← target missed' : ''}`)
  } catch (err) {
    failed++
    console.error(`bench ${bench.id} failed: ${err?.stack ?? err}`)
  }
}
process.exitCode = failed ? 1 : 0
