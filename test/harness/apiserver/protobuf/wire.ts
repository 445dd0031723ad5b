/** The protobuf wire format (varints, length-delimited fields, fixed 32/64): one field at a time, bounds checked. */

export interface WireField {
  number: number
  /** 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
  wireType: number
  /** Varint and fixed values as bigint; length-delimited as bytes. */
  value: bigint | Uint8Array
}

export class WireError extends Error {}

export const readVarint = (buf: Uint8Array, pos: number): [bigint, number] => {
  let v = 0n
  let shift = 0n
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new WireError('truncated varint')
    const b = buf[pos++]
    v |= BigInt(b & 0x7f) << shift
    if ((b & 0x80) === 0) return [v, pos]
    shift += 7n
  }
  throw new WireError('varint longer than 10 bytes')
}

/** Every field of one message, in wire order. Groups (wire types 3 and 4) are refused: Kubernetes never sends them. */
export const readFields = (buf: Uint8Array): WireField[] => {
  const out: WireField[] = []
  let pos = 0
  while (pos < buf.length) {
    const [key, p] = readVarint(buf, pos)
    pos = p
    const number = Number(key >> 3n)
    const wireType = Number(key & 7n)
    if (number < 1) throw new WireError(`field number ${number} is not valid`)
    let value: bigint | Uint8Array
    if (wireType === 0) [value, pos] = readVarint(buf, pos)
    else if (wireType === 1 || wireType === 5) {
      const n = wireType === 1 ? 8 : 4
      if (pos + n > buf.length) throw new WireError(`truncated fixed${n * 8} field ${number}`)
      value = 0n
      for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(buf[pos + i])
      pos += n
    } else if (wireType === 2) {
      const [len, p2] = readVarint(buf, pos)
      if (BigInt(p2) + len > BigInt(buf.length)) throw new WireError(`field ${number} is longer than the message`)
      value = buf.subarray(p2, p2 + Number(len))
      pos = p2 + Number(len)
    } else throw new WireError(`wire type ${wireType} (field ${number}) is not supported`)
    out.push({number, wireType, value})
  }
  return out
}

/** A varint as the signed 64-bit integer it encodes (int64/int32 fields carry negatives as two's complement). */
export const asInt64 = (v: bigint): bigint => BigInt.asIntN(64, v)
