// The input: a ConfigMap object (YAML or JSON, as `kubectl get cm config -o yaml` prints it) or just the YAML of its
// `config` key. MetalLB v0.9–v0.12 read ConfigMap `config` in its namespace, key `config`, and nothing else. Pure.
import {LegacyConfigError} from './errors.js'
import type {ImportWarning} from './report.js'
import {readYaml, type Raw, type RawMap} from './yaml.js'

export interface LegacyDocument {
  /** The `config` YAML, read. Undefined when it is empty. */
  config: Raw | undefined
  /** Set when the input was a ConfigMap object. */
  configMap?: {namespace?: string; name?: string}
  warnings: ImportWarning[]
}

const scalarText = (r: Raw | undefined): string | undefined => (r?.t === 'scalar' && r.value !== null ? String(r.value) : undefined)

/** @throws LegacyConfigError when the input is not YAML, or a ConfigMap without a `config` string. */
export function readLegacyDocument(text: string): LegacyDocument {
  const top = readYaml(text, '(input)')
  if (top?.t !== 'map' || !top.entries.has('kind')) return {config: top, warnings: []}
  const kind = scalarText(top.entries.get('kind'))
  if (kind !== 'ConfigMap') {
    throw new LegacyConfigError('LEGACY_SHAPE', 'kind', `is ${JSON.stringify(kind ?? null)}; give the ConfigMap (kind: ConfigMap) or just its \`config\` YAML`, 'E.g. `kubectl -n metallb-system get configmap config -o yaml > config.yaml`.')
  }
  const metadata = top.entries.get('metadata')
  const md = metadata?.t === 'map' ? metadata.entries : new Map<string, Raw>()
  const configMap = {namespace: scalarText(md.get('namespace')), name: scalarText(md.get('name'))}
  const data = top.entries.get('data')
  if (!data || data.t !== 'map') throw new LegacyConfigError('LEGACY_MISSING', 'data', 'is missing: the ConfigMap has no data, so there is no `config` key to import', 'MetalLB v0.9–v0.12 read its configuration from data.config.')
  const warnings: ImportWarning[] = []
  for (const key of (data as RawMap).entries.keys()) {
    if (key !== 'config') warnings.push({path: `data.${key}`, message: 'ignored: MetalLB read only the `config` key, and so does the import'})
  }
  const config = data.entries.get('config')
  if (!config) throw new LegacyConfigError('LEGACY_MISSING', 'data.config', 'is missing: MetalLB v0.9–v0.12 read its configuration from this key', `Keys present: ${[...data.entries.keys()].join(', ') || 'none'}.`)
  if (config.t !== 'scalar' || typeof config.value !== 'string') throw new LegacyConfigError('LEGACY_SHAPE', 'data.config', 'must be a string holding the configuration YAML (`config: |` followed by the YAML)')
  return {config: readYaml(config.value, 'data.config'), configMap, warnings}
}
