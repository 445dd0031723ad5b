// Namespaces the lab created must disappear whatever happens: normal destroy, a thrown test, process exit, Ctrl-C.
// Each namespace gets an owner file holding the creating pid, so cleanupStale() can tell leftovers of dead runs from
// namespaces a parallel test process is still using.
import {execFileSync, type ChildProcess} from 'node:child_process'
import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'

const OWNER_DIR = '/run/lbctl-lab'

/** Namespaces and processes this process created and has not removed yet. */
const liveNamespaces = new Set<string>()
const liveChildren = new Set<ChildProcess>()
let hooked = false

export function trackNamespace(ns: string): void {
  mkdirSync(OWNER_DIR, {recursive: true})
  writeFileSync(`${OWNER_DIR}/${ns}`, String(process.pid))
  liveNamespaces.add(ns)
  installHooks()
}

export function trackChild(child: ChildProcess): void {
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
}

export function untrackChild(child: ChildProcess): void {
  liveChildren.delete(child)
}

/** Names of all namespaces on the machine (`ip netns list` prints "name (id: N)"). */
export function listNamespaces(): string[] {
  try {
    return execFileSync('ip', ['netns', 'list'], {encoding: 'utf8'})
      .split('\n').map((l) => l.split(' ')[0]).filter((n) => n !== '')
  } catch {
    return []
  }
}

/**
 * Remove one namespace synchronously: kill every process inside (a process keeps a namespace and its interfaces alive
 * after `ip netns del`), then delete it. Idempotent; never throws.
 */
export function removeNamespaceSync(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
    for (const p of pids.split('\n').map(Number).filter((n) => n > 0 && n !== process.pid)) {
      try {
        process.kill(p, 'SIGKILL')
      } catch { /* already gone */ }
    }
  } catch { /* namespace already gone */ }
  try {
    execFileSync('ip', ['netns', 'del', ns], {stdio: 'ignore'})
  } catch { /* already gone */ }
  rmSync(`${OWNER_DIR}/${ns}`, {force: true})
  liveNamespaces.delete(ns)
}

export function forgetNamespace(ns: string): void {
  liveNamespaces.delete(ns)
  rmSync(`${OWNER_DIR}/${ns}`, {force: true})
}

function cleanupAllSync(): void {
  for (const c of liveChildren) {
    try {
      c.kill('SIGKILL')
    } catch { /* gone */ }
  }
  liveChildren.clear()
  for (const ns of [...liveNamespaces]) removeNamespaceSync(ns)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Remove namespaces named `prefix*` left behind by runs that died (their owner pid is gone, or they have no owner file).
 * Namespaces of live processes, including this one, are left alone. Returns the names removed.
 */
export function cleanupStale(prefix: string): string[] {
  if (prefix === '') throw new Error('cleanupStale needs a non-empty prefix')
  const removed: string[] = []
  for (const ns of listNamespaces()) {
    if (!ns.startsWith(prefix) || liveNamespaces.has(ns)) continue
    let owner = 0
    try {
      owner = Number(readFileSync(`${OWNER_DIR}/${ns}`, 'utf8'))
    } catch { /* no owner file: a leftover */ }
    if (owner > 0 && alive(owner)) continue
    removeNamespaceSync(ns)
    removed.push(ns)
  }
  // Owner files whose namespace is already gone.
  try {
    const present = new Set(listNamespaces())
    for (const f of readdirSync(OWNER_DIR)) if (f.startsWith(prefix) && !present.has(f)) rmSync(`${OWNER_DIR}/${f}`, {force: true})
  } catch { /* no owner dir yet */ }
  return removed
}

function installHooks(): void {
  if (hooked) return
  hooked = true
  process.once('exit', cleanupAllSync)
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      cleanupAllSync()
      process.removeListener(sig, onSignal)
      // Keep the default behaviour (terminate) when nobody else handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig)
    }
    process.on(sig, onSignal)
  }
}
