// Reading YAML defensively: the legacy ConfigMap is data written by people and other tools. Anchors and aliases are
// refused (an alias bomb expands a few hundred bytes into gigabytes), so are custom tags (`!foo`, `!!binary`, …) and
// anything but one document. The result keeps each scalar's source text, because MetalLB read this format with
// gopkg.in/yaml.v2 (YAML 1.1 booleans, numbers read into string fields as written), not with YAML 1.2.
import {isAlias, isMap, isScalar, isSeq, type Node, parseDocument} from 'yaml'
import {LegacyConfigError} from './errors.js'
import {child} from './fields.js'

/** Kubernetes caps a ConfigMap at 1 MiB; a larger input is not one. */
export const MAX_INPUT_BYTES = 1024 * 1024
/** Far deeper than the format (5 levels) ever needs; guards the recursive readers. */
const MAX_DEPTH = 32

export interface RawScalar {
  t: 'scalar'
  /** As YAML 1.2 core resolves it. */
  value: string | number | boolean | null
  /** The text as written (for quoted scalars, the unquoted string). */
  text: string
  /** Unquoted, so YAML 1.1 would resolve it too (yes/no/on/off are booleans there). */
  plain: boolean
}
export interface RawMap {
  t: 'map'
  entries: Map<string, Raw>
}
export interface RawSeq {
  t: 'seq'
  items: Raw[]
}
export type Raw = RawScalar | RawMap | RawSeq

// The core schema's own tags; explicit `!!str 12` is fine, anything else is a custom tag.
const CORE_TAGS = new Set(['tag:yaml.org,2002:str', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:bool', 'tag:yaml.org,2002:null', 'tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq'])

/**
 * Parse one YAML (or JSON) document into a Raw tree.
 * @param where names the document in errors (e.g. `data.config`).
 * @throws LegacyConfigError for anything but one plain document of maps, lists and scalars.
 */
export function readYaml(text: string, where: string): Raw | undefined {
  if (Buffer.byteLength(text, 'utf8') > MAX_INPUT_BYTES) {
    throw new LegacyConfigError('LEGACY_TOO_LARGE', where, `is larger than 1 MiB, the most a ConfigMap can hold`, 'Give the ConfigMap or its `config` YAML, nothing else.')
  }
  let doc
  try {
    doc = parseDocument(text, {version: '1.2', schema: 'core', uniqueKeys: true, prettyErrors: false})
  } catch (e) {
    throw new LegacyConfigError('LEGACY_NOT_YAML', where, `is not YAML: ${(e as Error).message}`, 'Check the file with `kubectl create --dry-run=client -f FILE`.')
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const at = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : ''
    throw new LegacyConfigError('LEGACY_NOT_YAML', where, `is not valid YAML${at}: ${e.message.split('\n')[0]}`, 'Fix the YAML syntax; `kubectl create --dry-run=client -f FILE` shows the same problem.')
  }
  if (doc.contents === null) return undefined
  return toRaw(doc.contents as Node, '', 0, where)
}

function toRaw(node: Node, path: string, depth: number, root: string): Raw {
  const at = path === '' ? root : path
  if (depth > MAX_DEPTH) throw new LegacyConfigError('LEGACY_SHAPE', at, `is nested more than ${MAX_DEPTH} levels deep; the legacy format has at most 5`)
  if (isAlias(node) || (node as {anchor?: string}).anchor) {
    throw new LegacyConfigError('LEGACY_YAML_ALIAS', at, 'uses a YAML anchor or alias (&name / *name); they are refused here', 'Write the values out in full.')
  }
  const tag = (node as {tag?: string}).tag
  if (tag !== undefined && !CORE_TAGS.has(tag)) {
    throw new LegacyConfigError('LEGACY_YAML_TAG', at, `has the custom YAML tag ${JSON.stringify(tag)}; only plain maps, lists and scalars are accepted`, 'Remove the tag.')
  }
  if (isMap(node)) {
    const entries = new Map<string, Raw>()
    for (const pair of node.items) {
      const k = pair.key as Node | null
      if (k !== null && !isScalar(k)) throw new LegacyConfigError('LEGACY_SHAPE', at, 'has a key that is not a plain string')
      if (k && (isAlias(k) || (k as {anchor?: string}).anchor)) throw new LegacyConfigError('LEGACY_YAML_ALIAS', at, 'uses a YAML anchor or alias in a key', 'Write the keys out in full.')
      const ktag = k ? (k as {tag?: string}).tag : undefined
      if (ktag !== undefined && !CORE_TAGS.has(ktag)) throw new LegacyConfigError('LEGACY_YAML_TAG', at, `has a key with the custom YAML tag ${JSON.stringify(ktag)}`, 'Remove the tag.')
      const key = k === null || k.value === null ? '' : String(k.source ?? k.value)
      const sub = child(path, key)
      if (key === '<<') throw new LegacyConfigError('LEGACY_YAML_ALIAS', sub, 'uses a YAML merge key (<<); it needs anchors, which are refused here', 'Write the values out in full.')
      const v = pair.value as Node | null
      entries.set(key, v === null ? {t: 'scalar', value: null, text: '', plain: true} : toRaw(v, sub, depth + 1, root))
    }
    return {t: 'map', entries}
  }
  if (isSeq(node)) {
    return {
      t: 'seq',
      items: node.items.map((item, i) => (item === null ? {t: 'scalar', value: null, text: '', plain: true} : toRaw(item as Node, `${path}[${i}]`, depth + 1, root))),
    }
  }
  if (isScalar(node)) {
    const value = node.value
    if (value !== null && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new LegacyConfigError('LEGACY_YAML_TAG', at, 'is a scalar of an unsupported type', 'Write a string, number or boolean.')
    }
    const plain = node.type === 'PLAIN' && tag === undefined
    return {t: 'scalar', value, text: typeof node.source === 'string' && node.type === 'PLAIN' ? node.source : String(value ?? ''), plain}
  }
  throw new LegacyConfigError('LEGACY_SHAPE', at, 'is not a map, a list or a scalar')
}
