/**
 * `pods/log`: what the kubelet would serve for a pod's containers, from lines a test (or the kubelet stand-in) appends.
 * Parameters and errors follow kube-apiserver and the kubelet: `container` (required when the pod has several),
 * `previous`, `tailLines`, `limitBytes`, `sinceSeconds`, `timestamps`, `follow`.
 */
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {Api} from './api.js'
import {badRequest, invalid, notFound, type Cause} from './errors.js'
import {queryBool, queryInt} from './params.js'

interface Line {
  at: number
  text: string
}

interface ContainerLog {
  current: Line[]
  /** The log of the instance before the last restart, if there was one. */
  previous?: Line[]
  followers: Set<(l: Line) => void>
}

const PODS = {group: '', plural: 'pods'}

export class PodLogs {
  private logs = new Map<string, ContainerLog>()

  constructor(private api: Api) {}

  private log(ns: string, pod: string, container: string): ContainerLog {
    const key = `${ns}/${pod}/${container}`
    let l = this.logs.get(key)
    if (!l) this.logs.set(key, (l = {current: [], followers: new Set()}))
    return l
  }

  /** Append lines (a string may hold several, split on newlines) to a container's current log. */
  append(ns: string, pod: string, container: string, lines: string | string[]): void {
    const l = this.log(ns, pod, container)
    const list = (Array.isArray(lines) ? lines : lines.replace(/\n$/, '').split('\n')).map((text) => ({at: Date.now(), text}))
    for (const line of list) {
      l.current.push(line)
      for (const f of l.followers) f(line)
    }
  }

  /** The container restarted: its current log becomes `previous`, and a new, empty one begins. */
  restart(ns: string, pod: string, container: string): void {
    const l = this.log(ns, pod, container)
    l.previous = l.current
    l.current = []
  }

  serve(req: IncomingMessage, res: ServerResponse, ns: string, name: string, q: URLSearchParams): void {
    const pod = this.api.store.get('pods', ns, name)
    if (!pod) throw notFound(PODS, name)
    const causes: Cause[] = []
    const tail = queryInt(q, 'tailLines')
    const limit = queryInt(q, 'limitBytes')
    const since = queryInt(q, 'sinceSeconds')
    if (tail !== undefined && tail < 0) causes.push({field: 'tailLines', message: `Invalid value: ${tail}: must be greater than or equal to 0`, reason: 'FieldValueInvalid'})
    if (limit !== undefined && limit < 1) causes.push({field: 'limitBytes', message: `Invalid value: ${limit}: must be greater than 0`, reason: 'FieldValueInvalid'})
    if (since !== undefined && since < 1) causes.push({field: 'sinceSeconds', message: `Invalid value: ${since}: must be greater than 0`, reason: 'FieldValueInvalid'})
    if (causes.length) throw invalid('', 'PodLogOptions', name, causes)
    const names: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name)
    const inits: string[] = (pod.spec?.initContainers ?? []).map((c: any) => c.name)
    let container = q.get('container') ?? ''
    if (!container) {
      if (names.length !== 1) {
        const initPart = inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : ''
        throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]${initPart}`)
      }
      container = names[0]
    }
    if (![...names, ...inits].includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`)
    const l = this.log(ns, name, container)
    const previous = queryBool(q, 'previous')
    if (previous && !l.previous) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`)
    if (!previous && l.current.length === 0 && (pod.status?.phase ?? 'Pending') === 'Pending')
      throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`)
    const timestamps = queryBool(q, 'timestamps')
    const format = (line: Line) => `${timestamps ? `${new Date(line.at).toISOString().replace(/\.?0*Z$/, 'Z')} ` : ''}${line.text}\n`
    let lines = previous ? l.previous! : l.current
    if (since !== undefined) lines = lines.filter((x) => x.at >= Date.now() - since * 1000)
    if (tail !== undefined) lines = tail === 0 ? [] : lines.slice(-tail)
    let text = lines.map(format).join('')
    if (limit !== undefined) text = Buffer.from(text).subarray(0, limit).toString()
    const follow = queryBool(q, 'follow') && !previous
    if (!follow) {
      res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text)})
      res.end(text)
      return
    }
    res.writeHead(200, {'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked'})
    res.write(text)
    let sent = Buffer.byteLength(text)
    const push = (line: Line) => {
      let chunk = format(line)
      if (limit !== undefined) chunk = Buffer.from(chunk).subarray(0, Math.max(0, limit - sent)).toString()
      sent += Buffer.byteLength(chunk)
      if (chunk) res.write(chunk)
      if (limit !== undefined && sent >= limit) stop()
    }
    const stop = () => {
      l.followers.delete(push)
      if (!res.writableEnded) res.end()
    }
    l.followers.add(push)
    req.on('close', stop)
  }
}

