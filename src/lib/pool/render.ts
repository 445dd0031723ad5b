import chalk from 'chalk'
import type {Column} from '../cli/output.js'
import type {PoolChangeResult, PoolDetail, PoolSummary} from './ops.js'

export const poolColumns: Column<PoolSummary>[] = [
  {header: 'Name', get: (p) => p.name},
  {header: 'Addresses', get: (p) => p.addresses.join(',')},
  {header: 'As stored', get: (p) => p.addressesAsStored.join(','), wide: true},
  {header: 'Size', get: (p) => p.size, align: 'right'},
  {header: 'In use', get: (p) => p.inUse, align: 'right'},
  {header: 'Free', get: (p) => p.free, align: 'right'},
  {header: 'Auto-assign', get: (p) => p.autoAssign},
  {header: 'Avoid-buggy-IPs', get: (p) => p.avoidBuggyIPs, wide: true},
  {header: 'Priority', get: (p) => p.priority, wide: true},
  {header: 'Advertised by', get: (p) => (p.advertisedBy.length ? p.advertisedBy.join(',') : chalk.yellow('none'))},
]

export function renderDetail(p: PoolDetail): string {
  const lines = [
    `Name:            ${p.name}`,
    `Namespace:       ${p.namespace}`,
    `Addresses:       ${p.addresses.join(', ')}`,
    ...(p.addressesAsStored.join(',') === p.addresses.join(',') ? [] : [`As stored:       ${p.addressesAsStored.join(', ')}`]),
    `Size:            ${p.size} (IPv4 ${p.ipv4.size}, IPv6 ${p.ipv6.size})`,
    `In use:          ${p.inUse}`,
    `Free:            ${p.free}`,
    `Auto-assign:     ${p.autoAssign}`,
    `Avoid buggy IPs: ${p.avoidBuggyIPs}`,
    `Advertised by:   ${p.advertisedBy.length ? p.advertisedBy.join(', ') : chalk.yellow('nothing — services get addresses nobody announces (create one: lbctl pool set … --advertise l2)')}`,
  ]
  if (p.serviceAllocation) lines.push(`Allocation:      ${JSON.stringify(p.serviceAllocation)}`)
  lines.push('', p.services.length ? 'Services:' : 'Services:        none')
  for (const s of p.services) lines.push(`  ${s.namespace}/${s.name}  ${s.ips.join(', ')}`)
  return lines.join('\n')
}

export function renderChange(r: PoolChangeResult): string {
  const would = r.dryRun ? 'would be ' : ''
  const head =
    r.action === 'unchanged'
      ? `pool "${r.pool}" unchanged`
      : r.action === 'absent'
        ? `pool "${r.pool}" absent: nothing to remove`
      : `pool "${r.pool}" ${would}${r.action}${r.dryRun ? ' (dry run: nothing was changed)' : ''}`
  const lines = [head]
  for (const a of r.added) lines.push(chalk.green(`  + ${a}`))
  for (const a of r.removed) lines.push(chalk.red(`  - ${a}`))
  for (const c of r.changed) lines.push(`  ~ ${c}`)
  if (r.affectedServices.length) {
    lines.push(`  services ${r.dryRun ? 'that would lose' : 'that lost'} addresses:`)
    for (const s of r.affectedServices) lines.push(`    ${s.namespace}/${s.name} (${s.ips.join(', ')})`)
  }
  if (r.advertisement) lines.push(`  ${r.advertisement.kind} "${r.advertisement.name}" ${r.advertisement.action.replace('would-', 'would be ')}${r.advertisement.action.endsWith('create') ? 'd' : r.advertisement.action.endsWith('delete') ? 'd' : ''}`.replace('createdd', 'created').replace('deletedd', 'deleted'))
  return lines.join('\n')
}
