/** labelSelector and fieldSelector query parameters, parsed as k8s.io/apimachinery does. */
import {badRequest} from './errors.js'

export type LabelRequirement =
  | {op: 'exists' | '!'; key: string}
  | {op: '=' | '!=' | 'in' | 'notin'; key: string; values: string[]}
  | {op: '>' | '<'; key: string; value: number}

export type Matcher = (obj: any) => boolean

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

const fail = (why: string): never => {
  throw badRequest(`unable to parse requirement: ${why}`)
}

const checkKey = (key: string): string => {
  if (!KEY.test(key) || key.length > 317) fail(`Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.'`)
  return key
}

const checkValue = (v: string): string => {
  if (!VALUE.test(v) || v.length > 63) fail(`Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`)
  return v
}

/** Split on commas that are not inside parentheses. */
const splitTop = (s: string): string[] => {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of s) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out
}

export const parseLabelSelector = (s: string): LabelRequirement[] => {
  const reqs: LabelRequirement[] = []
  if (s.trim() === '') return reqs
  for (const raw of splitTop(s)) {
    const part = raw.trim()
    if (part === '') fail('found \'\', expected: !, identifier, or \'end of string\'')
    let m: RegExpExecArray | null
    if ((m = /^!\s*(\S+)$/.exec(part))) reqs.push({op: '!', key: checkKey(m[1])})
    else if ((m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(part))) {
      const values = m[3].split(',').map((v) => checkValue(v.trim()))
      if (m[3].trim() === '') fail(`for 'in', 'notin' operators, values set can't be empty`)
      reqs.push({op: m[2] as 'in' | 'notin', key: checkKey(m[1]), values})
    } else if ((m = /^([^=!<>\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part))) {
      const op = m[2] === '!=' ? '!=' : '='
      reqs.push({op, key: checkKey(m[1]), values: [checkValue(m[3].trim())]})
    } else if ((m = /^([^=!<>\s]+)\s*([<>])\s*(.*)$/.exec(part))) {
      const value = Number(m[3].trim())
      if (!Number.isInteger(value)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`)
      reqs.push({op: m[2] as '>' | '<', key: checkKey(m[1]), value})
    } else if (/^[^\s=!<>()]+$/.test(part)) reqs.push({op: 'exists', key: checkKey(part)})
    else fail(`found '${part}', expected: in, notin, =, ==, !=, gt, lt`)
  }
  return reqs
}

export const matchLabels = (reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean => {
  const l = labels ?? {}
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key)
    const v = l[r.key]
    switch (r.op) {
      case 'exists':
        return has
      case '!':
        return !has
      case '=':
      case 'in':
        return has && r.values.includes(v)
      case '!=':
      case 'notin':
        return !has || !r.values.includes(v)
      case '>':
      case '<': {
        const n = Number(v)
        if (!has || !Number.isInteger(n)) return false
        return r.op === '>' ? n > r.value : n < r.value
      }
    }
  })
}

export interface FieldRequirement {
  field: string
  op: '=' | '!='
  value: string
}

/** Split on an unescaped separator; `\,` `\=` `\\` are escapes. */
const splitEscaped = (s: string, sep: string): string[] => {
  const out: string[] = []
  let cur = ''
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      cur += s[i] + s[i + 1]
      i++
    } else if (s[i] === sep) {
      out.push(cur)
      cur = ''
    } else cur += s[i]
  }
  out.push(cur)
  return out
}

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1')

export const parseFieldSelector = (s: string, allowed: string[]): FieldRequirement[] => {
  const reqs: FieldRequirement[] = []
  if (s.trim() === '') return reqs
  for (const part of splitEscaped(s, ',')) {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part.trim())
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${part}'`)
    const field = m[1].trim()
    if (!allowed.includes(field)) throw badRequest(`field label not supported: ${field}`)
    reqs.push({field, op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3])})
  }
  return reqs
}

const fieldValue = (obj: any, field: string): string => {
  const path = field === 'source' ? 'source.component' : field
  let cur = obj
  for (const p of path.split('.')) cur = cur == null ? undefined : cur[p]
  if (cur === undefined || cur === null) return ''
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur)
}

export const matchFields = (reqs: FieldRequirement[], obj: any): boolean =>
  reqs.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === '='))

/** One matcher from both selectors; throws 400 on a bad selector. */
export const selectorMatcher = (labelSelector: string | null, fieldSelector: string | null, allowedFields: string[]): Matcher => {
  const lr = parseLabelSelector(labelSelector ?? '')
  const fr = parseFieldSelector(fieldSelector ?? '', allowedFields)
  return (obj) => matchLabels(lr, obj?.metadata?.labels) && matchFields(fr, obj)
}
