/**
 * CEL validation rules of CRD schemas (`x-kubernetes-validations`), evaluated as the apiserver does: `self` is the
 * value at the rule's place in the object (property names escaped as Kubernetes escapes them, integers as CEL ints),
 * `oldSelf` the value it replaces on an update (transition rules are not evaluated on create), and a failing rule is a
 * 422 cause at the rule's path (plus its `fieldPath`) with its `message` and `reason`. The expressions are run by
 * @marcbachmann/cel-js; Kubernetes' CEL library extensions (quantity, ip, cidr, url, …) are not available.
 */
import {parse, type ParseResult} from '@marcbachmann/cel-js'
import type {Cause} from './errors.js'
import {isObject} from './patch.js'

export interface ValidationRule {
  rule: string
  message?: string
  messageExpression?: string
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate'
  fieldPath?: string
}

const compiled = new Map<string, ParseResult>()
const compile = (expr: string): ParseResult => {
  let fn = compiled.get(expr)
  if (!fn) {
    fn = parse(expr)
    compiled.set(expr, fn)
  }
  return fn
}

/** CEL's reserved words; Kubernetes exposes properties with these names as `__name__`. */
const RESERVED = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let',
  'loop', 'package', 'namespace', 'return', 'var', 'void', 'while',
])

/** The name a property has in CEL (apiserver's escaping), or undefined when it cannot be accessed from CEL. */
export const escapeProperty = (name: string): string | undefined => {
  if (RESERVED.has(name)) return `__${name}__`
  if (!/^[A-Za-z_.\-/][A-Za-z0-9_.\-/]*$/.test(name)) return undefined
  return name.replace(/__/g, '__underscores__').replace(/\./g, '__dot__').replace(/-/g, '__dash__').replace(/\//g, '__slash__')
}

const subSchema = (schema: any, key: string): any =>
  schema?.properties?.[key] ?? (isObject(schema?.additionalProperties) ? schema.additionalProperties : undefined)

/** A JSON value as CEL sees it under its schema: integers are ints (bigint), property names escaped. */
export const toCel = (schema: any, v: unknown): unknown => {
  if (typeof v === 'number') {
    const integral = schema?.type === 'integer' || schema?.['x-kubernetes-int-or-string'] === true
    return integral && Number.isInteger(v) ? BigInt(v) : v
  }
  if (Array.isArray(v)) return v.map((item) => toCel(schema?.items, item))
  if (isObject(v)) {
    const isMap = !schema?.properties && isObject(schema?.additionalProperties)
    const out: Record<string, unknown> = {}
    for (const [k, item] of Object.entries(v)) {
      const name = isMap ? k : escapeProperty(k)
      if (name !== undefined) out[name] = toCel(subSchema(schema, k), item)
    }
    return out
  }
  return v
}

const typeName = (schema: any, v: unknown): string => schema?.type ?? (Array.isArray(v) ? 'array' : isObject(v) ? 'object' : typeof v)

const PREFIX: Record<string, string> = {
  FieldValueForbidden: 'Forbidden',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
}

const messageOf = (r: ValidationRule, ctx: Record<string, unknown>): string => {
  if (r.messageExpression) {
    try {
      const m = compile(r.messageExpression)(ctx)
      if (typeof m === 'string' && m.trim() !== '') return m
    } catch {
      // a failing messageExpression falls back to message, as on the apiserver
    }
  }
  return r.message ?? `failed rule: ${r.rule}`
}

const joinPath = (path: string, fieldPath: string | undefined): string => {
  if (!fieldPath) return path
  const rel = fieldPath.startsWith('.') ? fieldPath.slice(1) : fieldPath
  return path ? `${path}.${rel}` : rel
}

/** Evaluates the rules at one schema node; `old` is undefined on create or where no old value correlates. */
export const celCauses = (schema: any, value: unknown, old: unknown, path: string): Cause[] => {
  const rules: ValidationRule[] = schema?.['x-kubernetes-validations'] ?? []
  if (rules.length === 0) return []
  const causes: Cause[] = []
  const self = toCel(schema, value)
  const oldSelf = old === undefined ? undefined : toCel(schema, old)
  for (const r of rules) {
    const transition = /\boldSelf\b/.test(r.rule)
    if (transition && oldSelf === undefined) continue
    const ctx: Record<string, unknown> = transition ? {self, oldSelf} : {self}
    const field = joinPath(path, r.fieldPath)
    let ok: unknown
    try {
      ok = compile(r.rule)(ctx)
    } catch (e) {
      causes.push({field, reason: 'FieldValueInvalid', message: `Invalid value: "${typeName(schema, value)}": ${(e as Error).message.split('\n')[0]} evaluating rule: ${r.rule}`})
      continue
    }
    if (ok === true) continue
    const reason = r.reason ?? 'FieldValueInvalid'
    const prefix = PREFIX[reason] ?? `Invalid value: "${typeName(schema, value)}"`
    causes.push({field, reason, message: `${prefix}: ${messageOf(r, ctx)}`})
  }
  return causes
}

/** The schema a path of selections from `self` leads to: undefined where the schema does not say. */
const resolve = (schema: any, node: any): {schema: any} | undefined => {
  if (node?.op === 'id') return node.args === 'self' ? {schema} : undefined
  if (node?.op === '.' || node?.op === '.?') {
    const base = resolve(schema, node.args[0])
    return base && {schema: fieldSchema(base.schema, node.args[1])}
  }
  if (node?.op === '[]' || node?.op === '[?]') {
    const base = resolve(schema, node.args[0])
    if (!base?.schema) return undefined
    return {schema: base.schema.items ?? (isObject(base.schema.additionalProperties) ? base.schema.additionalProperties : undefined)}
  }
  return undefined
}

/** The schema of a selected field; undefined when unknown (maps, preserved unknown fields, embedded resources). */
const fieldSchema = (schema: any, name: string): any => {
  if (!schema) return undefined
  for (const [k, sub] of Object.entries<any>(schema.properties ?? {})) if (escapeProperty(k) === name) return sub
  return undefined
}

/** Selections from `self` of fields the schema does not declare: the apiserver's "undefined field" compile error. */
const undefinedFields = (schema: any, ast: any): string[] => {
  const out: string[] = []
  // The parse result is cached per expression and cel-js annotates it when it evaluates (cycles): visit each node once.
  const seen = new Set<unknown>()
  const visit = (node: any): void => {
    if (seen.has(node)) return
    if (typeof node === 'object' && node !== null) seen.add(node)
    if (Array.isArray(node)) return node.forEach(visit)
    if (!isObject(node)) return
    if ((node.op === '.' || node.op === '.?') && typeof node.args?.[1] === 'string') {
      const base = resolve(schema, node.args[0])
      const s = base?.schema
      const open = !s || s['x-kubernetes-preserve-unknown-fields'] === true || isObject(s.additionalProperties) || s.additionalProperties === true || s.type !== 'object'
      if (base && !open && fieldSchema(s, node.args[1]) === undefined) out.push(`undefined field '${node.args[1]}'`)
    }
    for (const v of Object.values(node)) if (typeof v === 'object') visit(v)
  }
  visit(ast)
  return out
}

/** Rules that do not compile, as causes against the CRD (the apiserver refuses such a CRD). */
export const compileCauses = (schema: any, path: string): Cause[] => {
  const causes: Cause[] = []
  const walk = (s: any, p: string): void => {
    if (!isObject(s)) return
    const rules: unknown = (s as any)['x-kubernetes-validations']
    if (Array.isArray(rules)) {
      rules.forEach((r: any, i: number) => {
        const at = `${p}.x-kubernetes-validations[${i}]`
        if (typeof r?.rule !== 'string' || r.rule.trim() === '') {
          causes.push({field: `${at}.rule`, reason: 'FieldValueRequired', message: 'Required value'})
          return
        }
        for (const [key, expr] of [['rule', r.rule], ['messageExpression', r.messageExpression]] as const) {
          if (typeof expr !== 'string') continue
          let errors: string[]
          try {
            errors = undefinedFields(s, compile(expr).ast)
          } catch (e) {
            errors = [(e as Error).message.split('\n')[0]]
          }
          for (const err of errors)
            causes.push({field: `${at}.${key}`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(expr)}: compilation failed: ${err}`})
        }
      })
    }
    for (const [k, sub] of Object.entries<any>((s as any).properties ?? {})) walk(sub, `${p}.properties[${k}]`)
    if (isObject((s as any).additionalProperties)) walk((s as any).additionalProperties, `${p}.additionalProperties`)
    if ((s as any).items) walk((s as any).items, `${p}.items`)
  }
  walk(schema, path)
  return causes
}
