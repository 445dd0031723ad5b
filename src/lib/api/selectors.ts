import type {LabelSelector} from './types.js'

/** Whether labels match a metav1.LabelSelector. An empty selector matches everything (Kubernetes semantics). */
export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel) return true
  const l = labels ?? {}
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key)
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(l[e.key])) return false
        break
      case 'NotIn':
        if (has && (e.values ?? []).includes(l[e.key])) return false
        break
      case 'Exists':
        if (!has) return false
        break
      case 'DoesNotExist':
        if (has) return false
        break
      default:
        return false
    }
  }
  return true
}

/** MetalLB's rule for a list of selectors: matched when any selector matches (an empty list matches nothing). */
export const anySelectorMatches = (sels: LabelSelector[] | undefined, labels: Record<string, string> | undefined): boolean =>
  (sels ?? []).some((s) => selectorMatches(s, labels))

/** DNS-1123 subdomain, the rule for object names. */
/** Why `name` is not a valid namespace name (a DNS-1123 label, as kube-apiserver checks it), or undefined. */
export function validNamespaceName(name: string): string | undefined {
  if (name.length === 0) return 'is empty'
  if (name.length > 63) return 'is longer than 63 characters'
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    return 'must consist of lower case letters, digits and "-", and start and end with a letter or digit'
  }
  return undefined
}

export function validObjectName(name: string): string | undefined {
  if (name.length === 0) return 'is empty'
  if (name.length > 253) return 'is longer than 253 characters'
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)) {
    return 'must consist of lower case letters, digits, "-" and ".", and start and end with a letter or digit'
  }
  return undefined
}
