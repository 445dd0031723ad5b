/**
 * The protobuf descriptors a Go binary carries: gogo-protobuf registers each `generated.proto` as a gzipped
 * FileDescriptorProto. Read from /usr/bin/kubectl, they are the ground truth protobuf.test.ts checks MESSAGES against.
 */
import {readFileSync} from 'node:fs'
import {constants, gunzipSync} from 'node:zlib'
import {readFields} from './wire.js'

export interface DescribedField {
  name: string
  number: number
  repeated: boolean
  /** protobuf type number (9 string, 11 message, 12 bytes, 8 bool, 3 int64, 5 int32, …). */
  type: number
  typeName?: string
  /** The message type is a map entry. */
}

export interface DescribedMessage {
  fields: DescribedField[]
  mapEntry: boolean
}

const td = new TextDecoder()
const get = (fs: ReturnType<typeof readFields>, n: number) => fs.find((f) => f.number === n)?.value

const walk = (prefix: string, buf: Uint8Array, out: Map<string, DescribedMessage>): void => {
  const fs = readFields(buf)
  const name = `${prefix}.${td.decode(get(fs, 1) as Uint8Array)}`
  const fields: DescribedField[] = []
  let mapEntry = false
  for (const f of fs) {
    if (f.number === 2) {
      const d = readFields(f.value as Uint8Array)
      const typeName = get(d, 6)
      fields.push({
        name: td.decode(get(d, 1) as Uint8Array),
        number: Number(get(d, 3)),
        repeated: get(d, 4) === 3n,
        type: Number(get(d, 5)),
        typeName: typeName ? td.decode(typeName as Uint8Array) : undefined,
      })
    } else if (f.number === 3) walk(name, f.value as Uint8Array, out)
    else if (f.number === 7 && readFields(f.value as Uint8Array).some((o) => o.number === 7 && o.value === 1n)) mapEntry = true
  }
  out.set(name, {fields, mapEntry})
}

/** Every message of every Kubernetes `generated.proto` embedded in `binary`, by full name (`.k8s.io.api.core.v1.Service`). */
export const embeddedMessages = (binary: string): Map<string, DescribedMessage> => {
  const b = readFileSync(binary)
  const out = new Map<string, DescribedMessage>()
  for (let i = b.indexOf(Buffer.from([0x1f, 0x8b, 0x08])); i >= 0; i = b.indexOf(Buffer.from([0x1f, 0x8b, 0x08]), i + 1)) {
    let fd: Buffer
    try {
      fd = gunzipSync(b.subarray(i, i + 1_000_000), {finishFlush: constants.Z_SYNC_FLUSH})
    } catch {
      continue
    }
    // a FileDescriptorProto starts with its name (field 1): `k8s.io/…/generated.proto`
    if (fd[0] !== 0x0a || !/^k8s\.io\/[\w/.-]+generated\.proto/.test(fd.subarray(2, 120).toString('latin1'))) continue
    const fs = readFields(fd)
    const pkg = td.decode(get(fs, 2) as Uint8Array)
    for (const f of fs) if (f.number === 4) walk(`.${pkg}`, f.value as Uint8Array, out)
  }
  return out
}
