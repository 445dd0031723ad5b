/**
 * k3s and RKE2 record each node's effective arguments (command line and config.yaml merged) as a JSON array in the
 * node annotation `k3s.io/node-args` / `rke2.io/node-args`, e.g. ["server","--kube-proxy-arg","proxy-mode=ipvs"].
 * That is the only place the API shows how their embedded kube-proxy is configured.
 */

export const NODE_ARGS_ANNOTATION = {k3s: 'k3s.io/node-args', rke2: 'rke2.io/node-args'} as const

/** The node's argument list; undefined when the annotation is absent or not a JSON array of strings. */
export function parseNodeArgs(annotation: string | undefined): string[] | undefined {
  if (!annotation) return undefined
  try {
    const v = JSON.parse(annotation)
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined
  } catch {
    return undefined
  }
}

/** Values of every --kube-proxy-arg (both `--kube-proxy-arg X` and `--kube-proxy-arg=X`), in order. */
export function kubeProxyArgs(args: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--kube-proxy-arg' && i + 1 < args.length) out.push(args[++i])
    else if (a.startsWith('--kube-proxy-arg=')) out.push(a.slice('--kube-proxy-arg='.length))
  }
  return out
}

/** `proxy-mode=ipvs` and `--proxy-mode=ipvs` name the same kube-proxy flag. */
function flagOf(arg: string): {name: string; value?: string} {
  const bare = arg.replace(/^-+/, '')
  const eq = bare.indexOf('=')
  return eq === -1 ? {name: bare} : {name: bare.slice(0, eq), value: bare.slice(eq + 1)}
}

/** kube-proxy's mode and strict ARP as its flags set them; the last occurrence wins, as with any Go flag. */
export function settingsFromProxyArgs(kpArgs: string[]): {mode: string; strictARP: boolean} {
  let mode = ''
  let strictARP = false
  for (const a of kpArgs) {
    const f = flagOf(a)
    if (f.name === 'proxy-mode') mode = f.value ?? ''
    // A bare boolean flag (`ipvs-strict-arp`) means true.
    if (f.name === 'ipvs-strict-arp') strictARP = f.value === undefined || f.value === 'true'
  }
  return {mode, strictARP}
}

/** The node's kube-proxy args with proxy-mode and ipvs-strict-arp set as wanted, every other arg kept in order. */
export function wantedProxyArgs(kpArgs: string[], want: {strictARP?: true}): string[] {
  const keep = kpArgs.filter((a) => {
    const n = flagOf(a).name
    return n !== 'proxy-mode' && !(want.strictARP && n === 'ipvs-strict-arp')
  })
  return ['proxy-mode=ipvs', ...(want.strictARP ? ['ipvs-strict-arp=true'] : []), ...keep]
}

/** `--disable-kube-proxy` (k3s and RKE2): a CNI such as Cilium does kube-proxy's job. */
export function disablesKubeProxy(args: string[]): boolean {
  return args.some((a) => a === '--disable-kube-proxy' || a === '--disable-kube-proxy=true')
}

/** server or agent: the first argument k3s/rke2 was started with. */
export function nodeRoleFromArgs(args: string[]): 'server' | 'agent' | undefined {
  return args[0] === 'server' || args[0] === 'agent' ? args[0] : undefined
}
