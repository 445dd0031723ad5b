// src/lib/api/legacy: MetalLB v0.9–v0.12's ConfigMap configuration → metallb.io objects. Pure (no I/O, no clock).
//   yaml.ts      safe YAML reading (no anchors/aliases, no custom tags, one document, ≤ 1 MiB)
//   fields.ts    typed field readers with gopkg.in/yaml.v2's decoding rules
//   schema.ts    the legacy format, field by field (types, defaults, per-field rules, with their sources)
//   validate.ts  rules across fields and objects (overlaps, duplicates, references, aggregation lengths)
//   naming.ts    object names: stable, DNS-1123, collision-free
//   convert.ts   the objects, warnings and refusals
//   input.ts     ConfigMap object or bare `config` YAML
//   juju.ts      the Charmed operator's iprange
import {type ConvertOptions, convertLegacy, type ImportPlan} from './convert.js'
import {LegacyConfigError} from './errors.js'
import {readLegacyDocument} from './input.js'
import {readLegacyConfig} from './schema.js'
import {validateLegacyConfig} from './validate.js'

export * from './errors.js'
export * from './convert.js'
export * from './report.js'
export {readLegacyConfig, type LegacyConfig} from './schema.js'
export {validateLegacyConfig} from './validate.js'
export {readLegacyDocument} from './input.js'
export {CHARM_APPS, charmObjectName, parseCharmIprange} from './juju.js'
export {objectName, uniqueNames} from './naming.js'

export interface LegacyImportPlan extends ImportPlan {
  configMap?: {namespace?: string; name?: string}
}

/**
 * Read, check and convert a legacy configuration (a ConfigMap object or its `config` YAML).
 * @throws LegacyConfigError (and nothing else) for any input that is not a valid v0.9–v0.12 configuration.
 */
export function planLegacyImport(text: string, opts: ConvertOptions & {force?: boolean}): LegacyImportPlan {
  const doc = readLegacyDocument(text)
  const config = readLegacyConfig(doc.config)
  validateLegacyConfig(config)
  const plan = convertLegacy(config, opts)
  if (plan.uncarried.length > 0) {
    const [first, ...rest] = plan.uncarried
    if (!opts.force) {
      throw new LegacyConfigError('LEGACY_UNCARRIED', first.path, `cannot be carried over: ${first.reason}${rest.length ? ` (and ${rest.length} more: ${rest.map((u) => u.path).join(', ')})` : ''}`,
        'Remove the setting from the configuration, or pass --force to import anyway (each such field is then reported).', plan.uncarried.map((u) => ({path: u.path, reason: u.reason})))
    }
    for (const u of plan.uncarried) plan.warnings.push({path: u.path, message: `${u.reason}; --force: ${u.forced}`})
  }
  if (config.pools.length === 0 && config.peers.length === 0 && config.bfdProfiles.length === 0 && config.communities.length === 0) {
    plan.warnings.push({path: doc.configMap ? 'data.config' : '(input)', message: 'the configuration is empty: there is nothing to import'})
  }
  return {...plan, warnings: [...doc.warnings, ...plan.warnings], ...(doc.configMap ? {configMap: doc.configMap} : {})}
}
