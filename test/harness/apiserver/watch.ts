/** Watch streams: newline-delimited JSON events, replay from a resourceVersion, bookmarks, timeouts, 410 Gone. */
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {Api} from './api.js'
import {badRequest, expired} from './errors.js'
import {grKey, groupVersion, type ResourceType} from './registry.js'
import {queryBool, queryInt} from './params.js'
import {selectorMatcher} from './selectors.js'
import type {StoreEvent} from './store.js'

export interface WatchOptions {
  bookmarkIntervalMs: number
}

export interface OpenWatch {
  /** End the stream: cleanly (the response ends) or abruptly (the socket is destroyed). */
  close(abrupt: boolean): void
}

type Encoder = (rt: ResourceType, type: string, obj: any) => any

export class Watches {
  private open = new Set<OpenWatch>()

  constructor(
    private api: Api,
    private opts: WatchOptions,
  ) {}

  get count(): number {
    return this.open.size
  }

  closeAll(abrupt: boolean): void {
    for (const w of [...this.open]) w.close(abrupt)
  }

  /** Serve `GET …?watch=true`. Errors before the stream starts are thrown (and become Status responses). `encode` gets
   * each object already in the watched version. */
  serve(req: IncomingMessage, res: ServerResponse, rt: ResourceType, ns: string | undefined, q: URLSearchParams, encode?: Encoder): void {
    const api = this.api
    const store = api.store
    const gr = grKey(rt)
    const match = selectorMatcher(q.get('labelSelector'), q.get('fieldSelector'), ['metadata.name', 'metadata.namespace', ...rt.fieldLabels])
    const visible = (obj: any) => obj !== undefined && (ns === undefined || obj.metadata?.namespace === ns) && match(obj)
    const rvParam = q.get('resourceVersion') ?? ''
    if (rvParam !== '' && !/^\d+$/.test(rvParam)) throw badRequest(`resourceVersion: Invalid value: "${rvParam}": strconv.ParseUint: parsing "${rvParam}": invalid syntax`)
    const fromRv = rvParam === '' ? 0 : Number(rvParam)
    const explicitInitial = queryBool(q, 'sendInitialEvents')
    const sendInitial = explicitInitial || fromRv === 0
    const bookmarks = queryBool(q, 'allowWatchBookmarks')
    const timeout = queryInt(q, 'timeoutSeconds') ?? 0
    const replay = fromRv === 0 ? [] : store.since(gr, fromRv)

    res.writeHead(200, {'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked'})
    res.flushHeaders()
    const toWire = encode ?? ((_r: ResourceType, _t: string, obj: any) => obj)
    const send = (type: string, obj: any) => {
      if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify({type, object: obj})}\n`)
    }
    const bookmark = (annotations?: Record<string, string>) =>
      send('BOOKMARK', {
        kind: rt.kind,
        apiVersion: groupVersion(rt),
        metadata: {resourceVersion: String(store.rv), ...(annotations ? {annotations} : {})},
      })

    if (replay === undefined) {
      const oldest = store.oldestRv(gr)
      send('ERROR', expired(`too old resource version: ${fromRv} (${oldest + 1})`).toStatus())
      res.end()
      return
    }

    const deliver = (ev: StoreEvent) => {
      if (ev.gr !== gr) return
      const obj = api.output(rt, ev.obj)
      const now = visible(obj)
      const before = ev.type === 'ADDED' ? false : ev.prev ? visible(api.output(rt, ev.prev)) : now
      let type: string | undefined
      if (ev.type === 'DELETED') type = now ? 'DELETED' : undefined
      else if (now && before) type = 'MODIFIED'
      else if (now) type = 'ADDED'
      else if (before) type = 'DELETED'
      if (type) send(type, toWire(rt, type, obj))
    }

    if (sendInitial && fromRv === 0) {
      for (const stored of store.list(gr, ns)) {
        const obj = api.output(rt, stored)
        if (visible(obj)) send('ADDED', toWire(rt, 'ADDED', obj))
      }
      if (bookmarks && explicitInitial) bookmark({'k8s.io/initial-events-end': 'true'})
    }
    for (const ev of replay) deliver(ev)
    const unsubscribe = store.subscribe(deliver)

    const timers: NodeJS.Timeout[] = []
    if (bookmarks) timers.push(setInterval(() => bookmark(), this.opts.bookmarkIntervalMs))
    if (timeout > 0) timers.push(setTimeout(() => w.close(false), timeout * 1000))

    const cleanup = () => {
      unsubscribe()
      for (const t of timers) clearTimeout(t)
      this.open.delete(w)
    }
    const w: OpenWatch = {
      close: (abrupt) => {
        cleanup()
        if (abrupt) res.destroy()
        else if (!res.writableEnded) res.end()
      },
    }
    this.open.add(w)
    req.on('close', cleanup)
    res.on('close', cleanup)
  }
}
