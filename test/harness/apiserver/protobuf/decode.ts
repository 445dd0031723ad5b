/**
 * Requests in `application/vnd.kubernetes.protobuf`: the `k8s\0` magic, a runtime.Unknown envelope (typeMeta, raw),
 * and the object's message in `raw`, turned into the JSON object the same request would have carried.
 */
import {KINDS, MESSAGES} from './messages.js'
import {asInt64, readFields, readVarint, WireError, type WireField} from './wire.js'

export const PROTOBUF = 'application/vnd.kubernetes.protobuf'
const MAGIC = [0x6b, 0x38, 0x73, 0x00]

interface FieldDef {
  name: string
  repeated: boolean
  /** A Go pointer: zero values on the wire are kept. */
  pointer: boolean
  type: string
  /** For map<string,T>: T. */
  mapValue?: string
}

const parsed = new Map<string, Map<number, FieldDef>>()

/** The field table of one message (parsed once from MESSAGES). */
export const messageFields = (message: string): Map<number, FieldDef> => {
  let m = parsed.get(message)
  if (m) return m
  const spec = MESSAGES[message]
  if (spec === undefined) throw new Error(`protobuf message ${message} is not described`)
  m = new Map()
  for (const part of spec.split(/\s+/).filter(Boolean)) {
    const r = /^(\w+)=(\d+):(\[\])?([\w.<>,]+?)(\*)?$/.exec(part.replace('[]:', ':[]'))
    if (!r) throw new Error(`bad field description "${part}" in ${message}`)
    const [, name, num, rep, type, ptr] = r
    const map = /^map<string,([\w.]+)>$/.exec(type)
    m.set(Number(num), {name, repeated: !!rep, pointer: !!ptr, type: map ? 'map' : type, mapValue: map?.[1]})
  }
  parsed.set(message, m)
  return m
}

export class ProtobufError extends Error {}

const text = new TextDecoder('utf-8', {fatal: true})
const str = (f: WireField): string => {
  if (!(f.value instanceof Uint8Array)) throw new ProtobufError(`field ${f.number} should be length-delimited`)
  return text.decode(f.value)
}
const bytes = (f: WireField): Uint8Array => {
  if (!(f.value instanceof Uint8Array)) throw new ProtobufError(`field ${f.number} should be length-delimited`)
  return f.value
}
const varint = (f: WireField): bigint => {
  if (typeof f.value !== 'bigint') throw new ProtobufError(`field ${f.number} should be a varint`)
  return f.value
}

/** Repeated scalars may also come packed (one length-delimited run of varints). */
const scalars = (f: WireField, type: string): unknown[] => {
  const numeric = type === 'bool' || type === 'int32' || type === 'int64'
  if (!numeric || typeof f.value === 'bigint') return [scalar(f, type)]
  return readPacked(f.value).map((v) => scalar({number: f.number, wireType: 0, value: v}, type))
}

const readPacked = (buf: Uint8Array): bigint[] => {
  const out: bigint[] = []
  for (let pos = 0; pos < buf.length; ) {
    const [v, next] = readVarint(buf, pos)
    out.push(v)
    pos = next
  }
  return out
}

const scalar = (f: WireField, type: string): unknown => {
  switch (type) {
    case 'string':
      return str(f)
    case 'bytes':
      return Buffer.from(bytes(f)).toString('base64')
    case 'bool':
      return varint(f) !== 0n
    case 'int64':
    case 'int32':
      return Number(asInt64(varint(f)))
    default:
      return decodeMessage(type, bytes(f))
  }
}

const isZero = (v: unknown): boolean => v === '' || v === 0 || v === false || v === undefined

/** One message as the JSON the Go type marshals to. */
export const decodeMessage = (message: string, buf: Uint8Array): any => {
  const fields = readFields(buf)
  if (message === 'meta.v1.Time') {
    const seconds = Number(asInt64(fields.find((f) => f.number === 1)?.value as bigint ?? 0n))
    if (seconds === 0) return undefined
    return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
  }
  if (message === 'meta.v1.FieldsV1') {
    const raw = fields.find((f) => f.number === 1)
    return raw ? JSON.parse(text.decode(bytes(raw))) : undefined
  }
  if (message === 'intstr.IntOrString') {
    const get = (n: number) => fields.find((f) => f.number === n)
    const type = get(1) ? Number(varint(get(1)!)) : 0
    return type === 1 ? (get(3) ? str(get(3)!) : '') : get(2) ? Number(asInt64(varint(get(2)!))) : 0
  }
  const defs = messageFields(message)
  const out: Record<string, any> = {}
  for (const f of fields) {
    const def = defs.get(f.number)
    if (!def) throw new ProtobufError(`field ${f.number} of ${message} is not known to the harness`)
    if (def.type === 'map') {
      const entry = readFields(bytes(f))
      const k = entry.find((e) => e.number === 1)
      const v = entry.find((e) => e.number === 2)
      const valueType = def.mapValue!
      const value = v ? scalar(v, valueType) : valueType === 'string' || valueType === 'bytes' ? '' : decodeMessage(valueType, new Uint8Array())
      const map = (out[def.name] ??= {})
      map[k ? str(k) : ''] = valueType === 'authorization.v1.ExtraValue' || valueType === 'authentication.v1.ExtraValue' ? (value as any).items ?? [] : value
    } else if (def.repeated) (out[def.name] ??= []).push(...scalars(f, def.type))
    else {
      const v = scalar(f, def.type)
      if (isZero(v) && !(def.pointer && v !== undefined)) delete out[def.name]
      else out[def.name] = v
    }
  }
  return out
}

/** The object carried by a protobuf request body, with apiVersion and kind from its envelope. */
export const decodeRequest = (body: Uint8Array): any => {
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b)) throw new ProtobufError('the body does not start with the k8s\\0 protobuf magic')
  try {
    const unknown = readFields(body.subarray(4))
    const typeMeta = unknown.find((f) => f.number === 1)
    const raw = unknown.find((f) => f.number === 2)
    const tm = typeMeta ? readFields(bytes(typeMeta)) : []
    const apiVersion = tm.find((f) => f.number === 1)
    const kind = tm.find((f) => f.number === 2)
    const gvk = `${apiVersion ? str(apiVersion) : ''} ${kind ? str(kind) : ''}`
    const message = KINDS[gvk]
    if (!message) throw new ProtobufError(`the harness decodes protobuf for ${Object.keys(KINDS).join(', ')}, not "${gvk}"; send it as JSON`)
    const obj = decodeMessage(message, raw ? bytes(raw) : new Uint8Array())
    const [av, k] = gvk.split(' ')
    return {apiVersion: av, kind: k, ...obj}
  } catch (e) {
    if (e instanceof WireError) throw new ProtobufError(`malformed protobuf: ${e.message}`)
    throw e
  }
}
