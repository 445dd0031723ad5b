// Text output of install and uninstall (tables and -o json/yaml are the shared renderers').
import type {InstallResult} from './install.js'
import type {UninstallResult} from './uninstall.js'
import {count} from '../cli/words.js'

export function renderInstall(r: InstallResult): string {
  const lines: string[] = []
  const verb = r.dryRun ? 'would install' : r.upgradedFrom ? `upgraded from ${r.upgradedFrom.version} (${r.upgradedFrom.mode}) to` : 'installed'
  lines.push(`lbctl ${r.version} ${verb} in namespace ${r.namespace}, mode ${r.mode}`)
  lines.push(`  images: ${r.images.controller}, ${r.images.speaker}`)
  const counts = new Map<string, number>()
  for (const o of r.objects) counts.set(o.action, (counts.get(o.action) ?? 0) + 1)
  lines.push(`  objects: ${[...counts].map(([a, n]) => `${n} ${a}`).join(', ')}`)
  if (r.pool) lines.push(`  pool ${r.pool.name}: ${r.pool.addresses.join(', ')}${r.pool.advertisement ? ` (advertised by ${r.pool.advertisement})` : ''}`)
  if (r.peer) lines.push(`  BGP peer ${r.peer.name}: ${r.peer.address} AS ${r.peer.asn}, local AS ${r.peer.myAsn}${r.peer.passwordSecret ? `, password in Secret ${r.peer.passwordSecret}` : ''}`)
  if (r.kubeProxy?.fixed) lines.push('  kube-proxy: strict ARP turned on')
  if (r.readiness) lines.push(`  ready: controller ${r.readiness.controller.ready}/${r.readiness.controller.desired}, speakers ${r.readiness.speaker.ready}/${r.readiness.speaker.desired}`)
  for (const w of r.warnings) lines.push(`warning: ${w}`)
  if (!r.dryRun && !r.pool) lines.push(`next: give it addresses with \`lbctl pool set ADDRESSES\``)
  return lines.join('\n')
}

export function renderUninstall(r: UninstallResult): string {
  const lines = [`lbctl ${r.dryRun ? 'would remove' : 'removed'} ${count(r.removed.length, 'object')} from namespace ${r.namespace}${r.keptCrds ? ' (CRDs and their objects kept)' : ''}`]
  for (const o of r.removed) lines.push(`  ${o.kind}/${o.name}${o.namespace ? ` (${o.namespace})` : ''}`)
  if (r.servicesLosingAddresses.length > 0) lines.push(`warning: ${count(r.servicesLosingAddresses.length, 'service loses its addresses', 'services lose their addresses')}: ${r.servicesLosingAddresses.map((h) => `${h.namespace}/${h.name}`).join(', ')}`)
  return lines.join('\n')
}
