/**
 * The BGP benchmark's prefixes, as the reference measurement's gen.py makes them (shared/reference-measurements/
 * bgp-announce): /32s in 198.19.0.0/16, then 198.18.128.0/17, then /31s past 98,304. One list for every sender — the
 * engine process and the reference daemons' configurations — so they announce exactly the same routes.
 */
export function benchPrefixes(n: number): string[] {
  const out: string[] = []
  if (n <= 65536) {
    for (let i = 0; i < n; i++) out.push(`198.19.${i >> 8}.${i & 255}/32`)
    return out
  }
  for (let i = 0; i < 32768; i++) out.push(`198.18.${128 + (i >> 8)}.${i & 255}/32`)
  for (let i = 0; i < 65536; i++) out.push(`198.19.${i >> 8}.${i & 255}/32`)
  for (let i = 0; out.length < n; i++) out.push(`198.19.${(2 * i) >> 8}.${(2 * i) & 255}/31`)
  return out.slice(0, n)
}
