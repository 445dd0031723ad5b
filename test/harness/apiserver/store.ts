/** Objects by group-resource, one global resourceVersion, and a bounded event history per group-resource. */

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface StoreEvent {
  rv: number
  type: EventType
  /** group-resource key, e.g. `services` or `ipaddresspools.metallb.io` */
  gr: string
  obj: any
  /** The object before this event (undefined for ADDED). */
  prev?: any
}

interface Bucket {
  objects: Map<string, any>
  history: StoreEvent[]
  /** Events at or below this resourceVersion are no longer kept: watching from older versions gets 410 Gone. */
  compactedRv: number
}

const objKey = (ns: string | undefined, name: string): string => `${ns ?? ''}/${name}`

export const clone = <T>(v: T): T => structuredClone(v)

export class Store {
  rv = 0
  private buckets = new Map<string, Bucket>()
  private listeners = new Set<(ev: StoreEvent) => void>()

  constructor(public historySize: number) {}

  private bucket(gr: string): Bucket {
    let b = this.buckets.get(gr)
    if (!b) {
      b = {objects: new Map(), history: [], compactedRv: 0}
      this.buckets.set(gr, b)
    }
    return b
  }

  /** The stored object itself: callers must clone before changing it. */
  get(gr: string, ns: string | undefined, name: string): any | undefined {
    return this.buckets.get(gr)?.objects.get(objKey(ns, name))
  }

  /** Stored objects in key order (namespace, then name), as etcd returns them. */
  list(gr: string, ns?: string): any[] {
    const b = this.buckets.get(gr)
    if (!b) return []
    const out: Array<[string, any]> = []
    for (const [k, v] of b.objects) if (ns === undefined || (v.metadata?.namespace ?? '') === ns) out.push([k, v])
    out.sort((a, b2) => (a[0] < b2[0] ? -1 : a[0] > b2[0] ? 1 : 0))
    return out.map(([, v]) => v)
  }

  groupResources(): string[] {
    return [...this.buckets.keys()]
  }

  /** Store (or remove, for DELETED) an object at a new resourceVersion, record the event and notify watchers. */
  write(gr: string, type: EventType, obj: any): any {
    const rv = ++this.rv
    const stored = clone(obj)
    stored.metadata = {...stored.metadata, resourceVersion: String(rv)}
    const b = this.bucket(gr)
    const key = objKey(stored.metadata.namespace, stored.metadata.name)
    const prev = b.objects.get(key)
    if (type === 'DELETED') b.objects.delete(key)
    else b.objects.set(key, stored)
    const ev: StoreEvent = {rv, type, gr, obj: stored, prev}
    b.history.push(ev)
    while (b.history.length > this.historySize) b.compactedRv = b.history.shift()!.rv
    for (const l of this.listeners) l(ev)
    return stored
  }

  subscribe(fn: (ev: StoreEvent) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  /** Events after `rv`, or undefined when some of them are no longer kept. */
  since(gr: string, rv: number): StoreEvent[] | undefined {
    const b = this.bucket(gr)
    if (rv < b.compactedRv) return undefined
    return b.history.filter((e) => e.rv > rv)
  }

  /** The oldest resourceVersion a watch can still start from. */
  oldestRv(gr: string): number {
    return this.bucket(gr).compactedRv
  }

  /** What a restarted apiserver's watch cache knows: the current state, no history. */
  forgetHistory(): void {
    for (const b of this.buckets.values()) {
      b.history = []
      b.compactedRv = this.rv
    }
  }

  /** Whether any object of any group-resource lives in a namespace. */
  hasObjectsIn(ns: string, except: string[] = []): boolean {
    for (const [gr, b] of this.buckets) {
      if (except.includes(gr)) continue
      for (const v of b.objects.values()) if (v.metadata?.namespace === ns) return true
    }
    return false
  }
}
