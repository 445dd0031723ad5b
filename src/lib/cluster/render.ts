import chalk from 'chalk'
import type {Instruction, PrepareResult, ProxyState} from './types.js'

const DISTRIBUTIONS: Record<PrepareResult['distribution'], string> = {
  kubeadm: 'kubeadm', k3s: 'k3s', rke2: 'RKE2', microk8s: 'MicroK8s', 'charmed-kubernetes': 'Charmed Kubernetes', unknown: 'unknown',
}

export function describeState(s: ProxyState | undefined): string {
  if (!s) return 'not known'
  if (s.perNode?.length) return s.perNode.map((p) => `${p.node}: mode ${p.mode}, strictARP ${p.strictARP}`).join('; ')
  if (s.effectiveMode === undefined) return `not visible through the API (${s.source})`
  const mode = s.mode === '' ? `${s.effectiveMode} (mode is empty: the default)` : s.effectiveMode
  return `mode ${mode}, strictARP ${s.strictARP ?? false}`
}

/** The plan, shown before asking: where kube-proxy's settings live, current and wanted state, and the exact change. */
export function renderPlan(r: PrepareResult): string {
  const lines = [
    `Distribution:  ${DISTRIBUTIONS[r.distribution]}${r.evidence.length ? chalk.dim(`  (${r.evidence.join('; ')})`) : ''}`,
    `kube-proxy:    ${r.kubeProxy.description}`,
    `Current:       ${describeState(r.current)}${r.current?.source && r.current.effectiveMode !== undefined ? chalk.dim(`  from ${r.current.source}`) : ''}`,
    `Wanted:        mode ipvs, strictARP ${r.wanted.strictARP === true ? 'true' : '(left as it is)'}`,
  ]
  if (r.diff) lines.push('', colourDiff(r.diff))
  if (r.instructions?.length) lines.push('', ...renderInstructions(r.instructions))
  for (const w of r.warnings) lines.push(chalk.yellow(`warning: ${w}`))
  return lines.join('\n')
}

export function renderInstructions(list: Instruction[]): string[] {
  const out: string[] = []
  for (const i of list) {
    out.push(`On ${i.where.join(', ')}${i.role ? ` (${i.role})` : ''}:`)
    if (i.file && i.content) out.push(`  ${i.file} must contain:`, ...i.content.split('\n').map((l) => `    ${l}`))
    else if (i.content) out.push('  set:', ...i.content.split('\n').map((l) => `    ${l}`))
    out.push('  then run:', ...i.commands.map((c) => `    ${c}`))
  }
  return out
}

function colourDiff(diff: string): string {
  return diff.trimEnd().split('\n').map((l) =>
    l.startsWith('+++') || l.startsWith('---') ? chalk.bold(l) : l.startsWith('+') ? chalk.green(l) : l.startsWith('-') ? chalk.red(l) : l.startsWith('@@') ? chalk.cyan(l) : l,
  ).join('\n')
}

/**
 * The outcome, after the plan was shown (so the diff is not repeated, except for --check and results that were
 * never planned).
 */
export function renderResult(r: PrepareResult, shownPlan?: PrepareResult): string {
  const lines: string[] = []
  if (!shownPlan) lines.push(renderPlan(r), '')
  switch (r.action) {
    case 'unchanged':
      lines.push(chalk.green(`kube-proxy already runs in IPVS mode${r.wanted.strictARP === true ? ' with strict ARP' : ''}: nothing to change`))
      break
    case 'not-applicable':
      lines.push(chalk.green(`no kube-proxy runs (${r.kubeProxy.description}): nothing to prepare`))
      break
    case 'would-change':
      lines.push(`dry run: nothing was changed (${r.changes.length} field${r.changes.length === 1 ? '' : 's'} would change)`)
      break
    case 'manual':
      lines.push(chalk.yellow('lbctl cannot make this change from here: run the commands above, then check with `lbctl prepare --check`'))
      break
    case 'checked':
      lines.push(r.ready === true ? chalk.green('kube-proxy is ready for the load balancer') : chalk.yellow('kube-proxy is not ready for the load balancer'))
      break
    case 'changed': {
      lines.push(chalk.green(`changed: ${r.changes.map((c) => `${c.field} ${c.from === undefined ? '(unset)' : JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join(', ')}`))
      if (r.restart) lines.push(`restarted DaemonSet ${r.restart.daemonSet} at ${r.restart.restartedAt}${r.restart.desired !== undefined ? `: ${r.restart.available}/${r.restart.desired} pods available` : ''}`)
      if (r.verified !== undefined) lines.push(r.verified ? 'verified: the configuration reads back as wanted' : chalk.yellow('not verified: see the warnings'))
      break
    }
  }
  // Warnings printed with the plan are not repeated; those that came up afterwards (rollout, verification) are.
  if (shownPlan) for (const w of r.warnings) if (!shownPlan.warnings.includes(w)) lines.push(chalk.yellow(`warning: ${w}`))
  return lines.join('\n')
}
