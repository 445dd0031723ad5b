import {isDeepStrictEqual} from 'node:util'
import {type Document, isMap, isScalar, type Node, parseAllDocuments, parseDocument, type Scalar, visit, type YAMLMap} from 'yaml'

/** The two settings lbctl cares about, as kube-proxy would read them. */
export interface ProxySettings {
  /** The `mode` field as written ('' when empty or absent). */
  mode: string
  /** What kube-proxy runs on Linux: an empty mode means iptables. */
  effectiveMode: string
  /** `ipvs.strictARP`; false when absent (kube-proxy's default). */
  strictARP: boolean
}

export interface WantedSettings {
  mode: 'ipvs'
  /** true: turn strict ARP on; undefined: leave it as it is (--no-strict-arp). */
  strictARP?: true
}

export const KUBE_PROXY_API_VERSION = 'kubeproxy.config.k8s.io/v1alpha1'
export const KUBE_PROXY_KIND = 'KubeProxyConfiguration'

/** Why a config.conf cannot be edited; turned into an LbctlError by the caller, which knows where the text came from. */
export class ProxyConfigError extends Error {
  constructor(readonly code: 'CONFIG_UNPARSABLE' | 'NOT_KUBE_PROXY_CONFIGURATION', message: string) {
    super(message)
  }
}

export const effectiveMode = (mode: string): string => (mode === '' ? 'iptables' : mode)

const PLAIN_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`))

/** Parse a KubeProxyConfiguration (YAML or JSON). Throws ProxyConfigError when it is not one. */
export function readProxyConfig(text: string): {doc: Document.Parsed; settings: ProxySettings} {
  const docs = parseAllDocuments(text)
  if (docs.length === 0) throw new ProxyConfigError('CONFIG_UNPARSABLE', 'it is empty')
  if (docs.length !== 1) throw new ProxyConfigError('CONFIG_UNPARSABLE', `it holds ${docs.length} YAML documents; kube-proxy reads exactly one`)
  const doc = docs[0]
  if (doc.errors.length) throw new ProxyConfigError('CONFIG_UNPARSABLE', `it is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`)
  if (!isMap(doc.contents)) throw new ProxyConfigError('NOT_KUBE_PROXY_CONFIGURATION', 'it is not a YAML mapping')
  // Tags beyond JSON's types (!!binary, !!set, custom ones) would be read one way here and another by kube-proxy.
  let odd: string | undefined
  visit(doc, (_key, node) => {
    const tag = (node as {tag?: string} | null)?.tag
    if (tag && !PLAIN_TAGS.has(tag)) {
      odd = tag
      return visit.BREAK
    }
    return undefined
  })
  if (odd) throw new ProxyConfigError('CONFIG_UNPARSABLE', `it uses the YAML tag ${odd.replace('tag:yaml.org,2002:', '!!')}, which a KubeProxyConfiguration never needs; write the plain value instead`)
  let plain: Record<string, unknown>
  try {
    // Aliases are allowed (Go's YAML reads them) but not the exponential expansions of an alias bomb.
    plain = doc.toJS({maxAliasCount: 1000}) as Record<string, unknown>
  } catch (err) {
    throw new ProxyConfigError('CONFIG_UNPARSABLE', `its YAML aliases expand without bound (${(err as Error).message})`)
  }
  const kind = doc.get('kind')
  const apiVersion = doc.get('apiVersion')
  if (kind !== KUBE_PROXY_KIND || typeof apiVersion !== 'string' || !apiVersion.startsWith('kubeproxy.config.k8s.io/')) {
    throw new ProxyConfigError('NOT_KUBE_PROXY_CONFIGURATION', `it is ${kind ? `a ${String(kind)}` : 'an object without kind'}${apiVersion ? ` (${String(apiVersion)})` : ''}, not a ${KUBE_PROXY_KIND} (${KUBE_PROXY_API_VERSION})`)
  }
  return {doc, settings: settingsOf(plain)}
}

export function settingsOf(obj: Record<string, unknown>): ProxySettings {
  const mode = typeof obj.mode === 'string' ? obj.mode : ''
  const ipvs = obj.ipvs && typeof obj.ipvs === 'object' ? (obj.ipvs as Record<string, unknown>) : {}
  return {mode, effectiveMode: effectiveMode(mode), strictARP: ipvs.strictARP === true}
}

export interface ConfigEdit {
  text: string
  changes: Array<{field: 'mode' | 'ipvs.strictARP'; from: string | boolean | undefined; to: string | boolean}>
  /** 'surgical': only the two values' bytes changed; 'reformatted': the file had a shape that needed re-serialising. */
  method: 'unchanged' | 'surgical' | 'reformatted'
}

/**
 * Set `mode` and (optionally) `ipvs.strictARP` in a KubeProxyConfiguration, leaving every other byte as it was:
 * the values are spliced into the original text at the positions the parser reports, and missing keys are appended
 * to their mapping. Only when that is impossible (flow-style mappings, odd shapes) is the document re-serialised
 * with the yaml Document API, which keeps comments. The result is re-parsed and must differ from the input in exactly
 * those fields, or this throws.
 */
export function editProxyConfig(text: string, want: WantedSettings): ConfigEdit {
  const {doc, settings} = readProxyConfig(text)
  const changes: ConfigEdit['changes'] = []
  if (settings.mode !== want.mode) changes.push({field: 'mode', from: doc.has('mode') ? settings.mode : undefined, to: want.mode})
  const rawStrict = doc.getIn(['ipvs', 'strictARP'])
  if (want.strictARP && rawStrict !== true) changes.push({field: 'ipvs.strictARP', from: rawStrict === undefined ? undefined : (rawStrict as boolean), to: true})
  if (!changes.length) return {text, changes, method: 'unchanged'}

  const expected = doc.toJS() as Record<string, any>
  expected.mode = want.mode
  if (want.strictARP) expected.ipvs = {...(expected.ipvs ?? {}), strictARP: true}

  const surgical = surgicalEdit(text, doc, want)
  if (surgical !== undefined && sameAs(surgical, expected)) return {text: surgical, changes, method: 'surgical'}
  const reformatted = documentEdit(text, want)
  if (sameAs(reformatted, expected)) return {text: reformatted, changes, method: 'reformatted'}
  throw new ProxyConfigError('CONFIG_UNPARSABLE', 'lbctl could not change mode and ipvs.strictARP without changing other settings')
}

function sameAs(text: string, expected: unknown): boolean {
  const d = parseDocument(text)
  return d.errors.length === 0 && isDeepStrictEqual(d.toJS(), expected)
}

interface Splice {
  at: number
  /** Splices at the same offset end up in the order they were planned. */
  seq?: number
  remove: number
  insert: string
}

function surgicalEdit(text: string, doc: Document.Parsed, want: WantedSettings): string | undefined {
  const root = doc.contents as YAMLMap
  if (root.flow) return undefined
  const splices: Splice[] = []
  const rootAppends: string[] = []

  const mode = root.get('mode', true) as Node | undefined
  if (mode === undefined) {
    if (!root.has('mode')) rootAppends.push(`mode: ${want.mode}`)
    else return undefined // `mode:` with no value: let the Document API handle it
  } else if (isScalar(mode) && mode.range) {
    // `mode:` with nothing after it parses as an empty null scalar: write the value after the colon.
    const empty = mode.value === null && mode.range[0] === mode.range[1]
    if (mode.value !== want.mode) splices.push({at: mode.range[0], remove: mode.range[1] - mode.range[0], insert: empty ? ` ${want.mode}` : quoteLike(mode, want.mode)})
  } else return undefined

  if (want.strictARP) {
    const ipvs = root.get('ipvs', true) as Node | undefined
    if (ipvs === undefined) {
      if (root.has('ipvs')) return undefined
      rootAppends.push(`ipvs:\n${' '.repeat(childIndent(text, root))}strictARP: true`)
    } else if (isMap(ipvs) && !ipvs.flow && ipvs.items.length) {
      const strict = ipvs.get('strictARP', true) as Node | undefined
      if (strict === undefined) {
        if (ipvs.has('strictARP')) return undefined
        const first = ipvs.items[0].key as Node
        splices.push({at: endOfMap(text, ipvs), remove: 0, insert: `\n${' '.repeat(column(text, first.range![0]))}strictARP: true`})
      } else if (isScalar(strict) && strict.range) {
        const empty = strict.value === null && strict.range[0] === strict.range[1]
        if (strict.value !== true) splices.push({at: strict.range[0], remove: strict.range[1] - strict.range[0], insert: empty ? ' true' : 'true'})
      } else return undefined
    } else return undefined
  }

  if (rootAppends.length) {
    if (!root.items.length) return undefined
    splices.push({at: endOfMap(text, root), remove: 0, insert: rootAppends.map((l) => '\n' + l).join('')})
  }
  // Apply from the end so earlier offsets stay valid.
  let out = text
  splices.forEach((s, i) => (s.seq = i))
  for (const s of splices.sort((x, y) => y.at - x.at || y.seq! - x.seq!)) out = out.slice(0, s.at) + s.insert + out.slice(s.at + s.remove)
  return out
}

/** Keep the author's quoting: `mode: ""` becomes `mode: "ipvs"`, `mode: iptables` becomes `mode: ipvs`. */
function quoteLike(node: Scalar, value: string): string {
  if (node.type === 'QUOTE_DOUBLE') return `"${value}"`
  if (node.type === 'QUOTE_SINGLE') return `'${value}'`
  return value
}

function column(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1)
}

/** Offset of the end of the line holding a block mapping's last value, so a trailing comment stays on its line. */
function endOfMap(text: string, map: YAMLMap): number {
  const last = map.items[map.items.length - 1]
  const node = (last.value ?? last.key) as Node
  let pos = node.range ? node.range[1] : map.range![1]
  while (pos > 0 && (text[pos - 1] === '\n' || text[pos - 1] === ' ' || text[pos - 1] === '\r')) pos--
  const nl = text.indexOf('\n', pos)
  return nl === -1 ? text.length : nl
}

/** The indentation the file uses for nested mappings (2 when it has none). */
function childIndent(text: string, root: YAMLMap): number {
  for (const p of root.items) {
    if (isMap(p.value) && !p.value.flow && p.value.items.length) {
      const k = p.value.items[0].key as Node
      if (k.range) return column(text, k.range[0])
    }
  }
  return 2
}

/** Fallback: set the fields through the Document API (keeps comments; may re-indent lists, so it is the last resort). */
function documentEdit(text: string, want: WantedSettings): string {
  const doc = parseDocument(text)
  doc.set('mode', want.mode)
  if (want.strictARP) {
    const ipvs = doc.get('ipvs')
    if (!isMap(ipvs)) doc.set('ipvs', doc.createNode({strictARP: true}))
    else doc.setIn(['ipvs', 'strictARP'], true)
  }
  // Go's YAML writer (kubeadm) does not indent list items under their key; keep whichever style the file has.
  const indentSeq = !/^( *)[^\s#-][^\n]*:\s*\n\1- /m.test(text)
  const out = doc.toString({lineWidth: 0, indentSeq})
  return text.endsWith('\n') ? out : out.replace(/\n$/, '')
}
