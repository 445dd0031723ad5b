// Numbers in words for people: "1 prefix", "2 prefixes", "0 messages". One rule for every human line lbctl prints.

/** `n` and the noun in the number it calls for: count(1, 'prefix', 'prefixes') → "1 prefix". */
export function count(n: number | bigint, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 || n === 1n ? singular : plural}`
}
