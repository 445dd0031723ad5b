// client-node 1.x builds a new http(s).Agent for every request, so every call opens a new connection (and, against a
// real cluster, does a new TLS handshake). A daemon making thousands of calls needs them reused: one keep-alive agent
// per distinct set of connection options.
import type {KubeConfig} from '@kubernetes/client-node'

type AgentFactory = (cluster: unknown, options: Record<string, unknown>) => unknown

const patched = new WeakSet<KubeConfig>()

/** Cache key of agent options: TLS material may rotate, so it is part of the key (by content). */
function keyOf(cluster: {server?: string} | undefined, options: Record<string, unknown>): string {
  const parts = [cluster?.server ?? '']
  for (const k of Object.keys(options).sort()) {
    const v = options[k]
    parts.push(`${k}=${Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
  }
  return parts.join('\u0000')
}

/** Make every request through `kc` reuse keep-alive connections. Idempotent. */
export function reuseConnections(kc: KubeConfig): void {
  if (patched.has(kc)) return
  patched.add(kc)
  const target = kc as unknown as {createAgent: AgentFactory}
  const original = target.createAgent.bind(kc)
  const agents = new Map<string, unknown>()
  target.createAgent = (cluster, options) => {
    const key = keyOf(cluster as {server?: string}, options)
    let agent = agents.get(key)
    if (!agent) {
      agent = original(cluster, {...options, keepAlive: true})
      agents.set(key, agent)
    }
    return agent
  }
}
