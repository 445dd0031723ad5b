// Shared by the BGP lab tests: the built CLI and the session runner, each inside a lab namespace.
import type {ChildProcess} from 'node:child_process'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {bundleEntry, REPO_ROOT} from '../../harness/lab/bundle.js'
import {until} from '../../harness/lab/frr.js'
import type {LabNode} from '../../harness/lab/index.js'

export const BIN = join(REPO_ROOT, 'bin', 'run.js')

/** `lbctl bgp probe ARGS` as the built binary inside `node`. */
export function probe(node: LabNode, args: string[]): {child: ChildProcess; done: Promise<{code: number; stdout: string; stderr: string}>; lines: string[]} {
  const child = node.spawn(process.execPath, [BIN, 'bgp', 'probe', ...args])
  const lines: string[] = []
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => (stdout += d))
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d
    lines.push(...d.toString().split('\n').filter(Boolean))
  })
  const done = new Promise<{code: number; stdout: string; stderr: string}>((resolve) => child.once('exit', (code) => resolve({code: code ?? -1, stdout, stderr})))
  return {child, done, lines}
}

export type EngineEvent = {t: number; ev: string; [k: string]: any}

/** The session runner (engine-main.ts) inside `node`; its events as parsed JSON lines. */
export async function engine(node: LabNode, cfg: Record<string, unknown>) {
  const file = await bundleEntry('test/lab/bgp/engine-main.ts')
  const child = node.spawn(process.execPath, [file, JSON.stringify(cfg)])
  const events: EngineEvent[] = []
  const waiters = new Set<() => void>()
  createInterface({input: child.stdout!}).on('line', (l) => {
    events.push(JSON.parse(l))
    for (const w of waiters) w()
  })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d))
  return {
    child, events,
    send: (c: unknown) => child.stdin!.write(JSON.stringify(c) + '\n'),
    wait: (what: string, pred: (e: EngineEvent) => boolean, ms = 15_000) => until(`${what} (stderr: ${err.slice(-500)})`, async () => events.find(pred), ms, 5),
  }
}

/** Run `fn` with a started daemon (FRR, GoBGP), stopping it afterwards whatever happens. */
export async function using<T extends {stop(): Promise<void>}>(started: Promise<T>, fn: (d: T) => Promise<void>): Promise<void> {
  const d = await started
  try {
    await fn(d)
  } finally {
    await d.stop()
  }
}
