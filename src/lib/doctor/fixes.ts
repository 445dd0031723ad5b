// The commands the doctor prints as fixes: complete (no placeholders), quoted for a POSIX shell.
import type {Snapshot} from './snapshot.js'

/** Quote a word for sh when it needs it. */
export const sh = (w: string): string => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)

/** ` -n NS` when the load balancer is not in the default namespace (lbctl's flag). */
export const lbNs = (s: Snapshot): string => (s.namespace === 'metallb-system' ? '' : ` -n ${sh(s.namespace)}`)

/** The announcement mode lbctl was installed with (ConfigMap lbctl-install), else what the advertisements say. */
export function installedMode(s: Snapshot): 'l2' | 'bgp' {
  const m = s.install?.data?.mode
  if (m === 'bgp' || m === 'l2') return m
  return s.bgpAdvertisements.length > 0 && s.l2.length === 0 ? 'bgp' : 'l2'
}
