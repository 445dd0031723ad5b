// The human form of `lbctl config import`'s result (the table output); -o yaml|json print the objects themselves.
import chalk from 'chalk'
import {stringify} from 'yaml'
import {plain, renderTable} from '../cli/output.js'
import type {ImportResult} from './import.js'

export function renderImport(r: ImportResult): string {
  const lines = [`${r.dryRun ? 'Would import' : 'Imported'} from ${r.source} into namespace ${r.namespace}:`, '']
  lines.push(renderTable(r.objects, [
    {header: 'Kind', get: (o) => o.kind},
    {header: 'Name', get: (o) => o.name},
    {header: 'Action', get: (o) => o.action},
    {header: 'From', get: (o) => o.from},
  ]))
  if (r.warnings.length) lines.push('', chalk.yellow('Warnings:'), ...r.warnings.map((w) => `  - ${w}`))
  if (r.charm) lines.push('', `To remove the charm afterwards without losing an address:`, ...r.charm.removal.map((s) => `  ${s}`))
  if (r.dryRun) lines.push('', 'Nothing was changed (--dry-run). See the objects with -o yaml.')
  return lines.join('\n')
}

/** The objects as kubectl takes them: YAML documents, or a v1 List in JSON. */
export function renderManifests(r: ImportResult, format: 'yaml' | 'json'): string {
  if (format === 'json') return JSON.stringify({apiVersion: 'v1', kind: 'List', items: plain(r.manifests)}, null, 2)
  return r.manifests.map((m) => `---\n${stringify(plain(m))}`).join('').trimEnd()
}
