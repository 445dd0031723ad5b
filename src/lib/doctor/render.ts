// The tree people read. Colour comes from chalk, which configureColor turns off off a TTY and under NO_COLOR.
import chalk from 'chalk'
import type {Check, CheckStatus, DoctorReport, ServiceVerdict} from './types.js'

const MARK: Record<CheckStatus, string> = {pass: '✓', fail: '✗', warn: '!', skip: '-'}
const paint = (st: CheckStatus, s: string): string => (st === 'pass' ? chalk.green(s) : st === 'fail' ? chalk.red(s) : st === 'warn' ? chalk.yellow(s) : chalk.dim(s))

function checkLines(x: Check, prefix: string, last: boolean, verbose: boolean): string[] {
  const head = `${prefix}${last ? '└─' : '├─'} ${paint(x.status, MARK[x.status])} ${x.title}${x.subject && !x.subject.startsWith('Service ') ? ` (${x.subject})` : ''}: ${x.message}`
  const inner = `${prefix}${last ? '   ' : '│  '}   `
  const out = [head]
  if (x.status === 'fail' || x.status === 'warn' || verbose) {
    for (const e of x.evidence) out.push(`${inner}${chalk.dim(e)}`)
    if (x.fix && x.status !== 'pass') out.push(`${inner}${chalk.bold('fix:')} ${x.fix}`)
  }
  return out
}

function serviceLines(v: ServiceVerdict, last: boolean, verbose: boolean): string[] {
  const status: CheckStatus = v.brokenAt ? 'fail' : v.stages.some((s) => s.status === 'warn') ? 'warn' : 'pass'
  const head = `${last ? '└─' : '├─'} ${paint(status, MARK[status])} ${v.namespace}/${v.name}${v.addresses.length ? ` ${v.addresses.join(', ')}` : ' <pending>'}${v.brokenAt ? ` — broken at ${v.brokenAt}` : ''}`
  const prefix = last ? '   ' : '│  '
  const checks = v.stages.flatMap((s) => s.checks.map((c) => ({...c, title: `${s.stage}: ${c.title}`})))
  // A healthy service is one line unless asked for more.
  if (status === 'pass' && !verbose) return [head]
  return [head, ...checks.flatMap((c, i) => checkLines(c, prefix, i === checks.length - 1, verbose))]
}

export function renderReport(r: DoctorReport, opts: {verbose?: boolean} = {}): string {
  const verbose = !!opts.verbose
  const lines = [chalk.bold(`Cluster ${r.cluster.context} (${r.cluster.server}), load balancer in ${r.cluster.namespace}: ${r.implementation === 'unknown' ? 'no components found' : r.implementation}`)]
  r.checks.forEach((c, i) => lines.push(...checkLines(c, '', i === r.checks.length - 1, verbose)))
  if (r.services.length) {
    lines.push('', chalk.bold(`Services (${r.services.length})`))
    r.services.forEach((v, i) => lines.push(...serviceLines(v, i === r.services.length - 1, verbose)))
  }
  const s = r.summary
  lines.push('', `${paint(r.ok ? 'pass' : 'fail', r.ok ? 'No problems found' : `${s.fail} problem${s.fail === 1 ? '' : 's'} found`)}: ${s.fail} failed, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.pass} passed, ${s.skip} skipped`)
  return lines.join('\n')
}

export function renderBundle(b: import('./bundle.js').BundleResult): string {
  const width = Math.max(...b.entries.map((e) => e.path.length))
  return [
    `Wrote ${b.file} (${b.bytes} bytes, ${b.entries.length} files; doctor: ${b.summary.fail} failed, ${b.summary.warn} warnings):`,
    ...b.entries.map((e) => `  ${e.path.padEnd(width)}  ${e.bytes} B`),
    ...(b.notCollected.length ? ['Not collected:', ...b.notCollected.map((n) => `  ${n.what}: ${n.why}`)] : []),
    ...(b.redacted.length ? ['Redacted:', ...b.redacted.map((r) => `  ${r}`)] : []),
  ].join('\n')
}
