// The memberlist key files (Secret `memberlist`, keys `secretkey` and `previoussecretkey`, mounted as files). A
// mounted Secret changes by an atomic symlink swap in its directory (`..data`), which fs.watch on the file itself
// misses; so the directory is watched and, as a fallback for filesystems without inotify, the files are re-read
// every `pollMs` (2 s while a directory cannot be watched, 30 s as a safety net while every one is: each read is a few
// trips through the thread pool, which an idle speaker otherwise does not make). A change is reported only when the
// derived keys change.
import {type FSWatcher, watch} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {dirname} from 'node:path'
import {EventEmitter} from 'node:events'
import {deriveKey, type KeyRing} from './auth.js'

export interface KeyLoad {
  ring?: KeyRing
  /** Why there is no key, in words (for the view's reason, status, logs). */
  problem?: string
}

export interface KeyFilesOptions {
  current?: string
  previous?: string
  /** Re-read period (default 2 s, or 30 s when every key file's directory is watched). */
  pollMs?: number
}

async function readKey(path: string): Promise<{key?: Buffer; problem?: string}> {
  try {
    const key = deriveKey(await readFile(path))
    return key ? {key} : {problem: `memberlist key file ${path} is empty (put the Secret's secretkey there)`}
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e)
    return {problem: `cannot read memberlist key file ${path}: ${code} (mount the Secret memberlist or fix --memberlist-key-file)`}
  }
}

/** Read the key files once. A missing or empty previous key is no problem: it is optional. */
export async function loadKeys(current?: string, previous?: string): Promise<KeyLoad> {
  if (!current) return {problem: 'no memberlist key (set --memberlist-key-file or METALLB_ML_SECRET_KEY_PATH)'}
  const c = await readKey(current)
  if (!c.key) return {problem: c.problem}
  const p = previous ? await readKey(previous) : {}
  return {ring: {current: c.key, previous: p.key}}
}

function same(a: KeyLoad, b: KeyLoad): boolean {
  const eq = (x?: Buffer, y?: Buffer): boolean => (x === undefined ? y === undefined : y !== undefined && x.equals(y))
  return a.problem === b.problem && eq(a.ring?.current, b.ring?.current) && eq(a.ring?.previous, b.ring?.previous)
}

export class KeyFiles extends EventEmitter<{change: [KeyLoad]}> {
  private last: KeyLoad = {}
  private watchers: FSWatcher[] = []
  private poll?: NodeJS.Timeout
  private reading?: Promise<KeyLoad>

  constructor(private readonly o: KeyFilesOptions) {
    super()
  }

  get keys(): KeyLoad {
    return this.last
  }

  /** Read now; emits 'change' when the keys differ from the last read. */
  async reload(): Promise<KeyLoad> {
    // One read at a time; a burst of events becomes one re-read after the current one.
    while (this.reading) await this.reading
    this.reading = loadKeys(this.o.current, this.o.previous)
    try {
      const k = await this.reading
      if (!same(k, this.last)) {
        this.last = k
        this.emit('change', k)
      }
      return k
    } finally {
      this.reading = undefined
    }
  }

  async start(): Promise<KeyLoad> {
    const k = await this.reload()
    const dirs = new Set([this.o.current, this.o.previous].filter((p): p is string => !!p).map((p) => dirname(p)))
    for (const d of dirs) {
      try {
        const w = watch(d, {persistent: false}, () => void this.reload().catch(() => undefined))
        w.on('error', () => undefined)
        this.watchers.push(w)
      } catch {
        // No directory yet (Secret not mounted): the poll notices when it appears.
      }
    }
    if (this.o.current) {
      const watched = this.watchers.length === dirs.size
      this.poll = setInterval(() => void this.reload().catch(() => undefined), this.o.pollMs ?? (watched ? 30_000 : 2000))
      this.poll.unref()
    }
    return k
  }

  stop(): void {
    for (const w of this.watchers) w.close()
    this.watchers = []
    if (this.poll) clearInterval(this.poll)
    this.poll = undefined
  }
}
