import chalk from 'chalk'
import {renderTable} from '../cli/output.js'
import {poolColumns} from '../pool/render.js'
import type {SessionRow} from './bgp.js'
import type {StatusReport} from './status.js'

export const sessionColumns = [
  {header: 'Node', get: (r: SessionRow) => r.node},
  {header: 'Peer', get: (r: SessionRow) => r.peer},
  {header: 'Address', get: (r: SessionRow) => r.peerAddress},
  {header: 'State', get: (r: SessionRow) => (r.state === 'Established' ? chalk.green(r.state) : chalk.red(r.state))},
  {header: 'Uptime', get: (r: SessionRow) => r.uptime},
  {header: 'Prefixes', get: (r: SessionRow) => r.prefixes, align: 'right' as const},
  {header: 'BFD', get: (r: SessionRow) => r.bfd, wide: true},
  {header: 'Last error', get: (r: SessionRow) => r.lastError},
]

export function renderStatus(r: StatusReport, wide = false): string {
  const out: string[] = []
  const impl = r.implementation === 'lbctl' ? `lbctl${r.version ? ` ${r.version}` : ''}` : r.implementation === 'metallb' ? 'MetalLB' : 'no load balancer components'
  out.push(chalk.bold(`${impl} in ${r.namespace}${r.mode ? `, mode ${r.mode}` : ''}: ${r.ready ? chalk.green('ready') : chalk.red('not ready')}`), '')
  out.push(renderTable(r.components, [
    {header: 'Component', get: (c) => c.component},
    {header: 'Workload', get: (c) => c.workload},
    {header: 'Ready', get: (c) => `${c.ready}/${c.desired}`},
    {header: 'Version', get: (c) => c.versions.join(', ')},
    {header: 'Not ready', get: (c) => c.pods.filter((p) => !p.ready).map((p) => `${p.name}${p.node ? ` (${p.node})` : ''}`).join(', ')},
  ], wide))
  out.push('', chalk.bold('Pools'), r.pools.length ? renderTable(r.pools, poolColumns, wide) : 'none')
  if (r.sessions.length) out.push('', chalk.bold('BGP sessions'), renderTable(r.sessions, sessionColumns, wide))
  out.push('', chalk.bold('Announced'), r.announced.length ? renderTable(r.announced, [
    {header: 'Node', get: (a) => a.node},
    {header: 'Services', get: (a) => a.services.map((s) => `${s.service} ${s.addresses.join(',')} (${s.protocol})`).join('; ')},
  ], wide) : 'nothing')
  if (r.configuration.length) {
    out.push('', chalk.bold('Configuration'), renderTable(r.configuration, [
      {header: 'Component', get: (c) => c.name},
      {header: 'Result', get: (c) => (c.result === 'Valid' ? c.result : chalk.red(c.result))},
      {header: 'Error', get: (c) => c.errorSummary},
    ], wide))
  }
  for (const n of r.notes) out.push(chalk.dim(`note: ${n}`))
  return out.join('\n')
}
