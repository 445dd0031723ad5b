/**
 * A unified diff (`diff -u` shape) of two texts, line by line. Configuration files here are ~100 lines, so the plain
 * O(n·m) longest-common-subsequence table is fast enough and keeps this dependency-free.
 */
export function unifiedDiff(before: string, after: string, opts: {from?: string; to?: string; context?: number} = {}): string {
  if (before === after) return ''
  const a = splitLines(before)
  const b = splitLines(after)
  const ops = lineOps(a, b)
  const context = opts.context ?? 3
  const out = [`--- ${opts.from ?? 'current'}`, `+++ ${opts.to ?? 'wanted'}`]
  // Group changes that are within 2×context lines of each other into one hunk, like GNU diff.
  let i = 0
  while (i < ops.length) {
    if (ops[i].op === ' ') {
      i++
      continue
    }
    let start = i
    let ctxBefore = 0
    while (start > 0 && ops[start - 1].op === ' ' && ctxBefore < context) {
      start--
      ctxBefore++
    }
    let end = i
    let lastChange = i
    while (end < ops.length) {
      if (ops[end].op !== ' ') lastChange = end
      else if (end - lastChange > 2 * context) break
      end++
    }
    end = Math.min(ops.length, lastChange + 1 + context)
    const hunk = ops.slice(start, end)
    const aStart = hunk[0].a
    const bStart = hunk[0].b
    const aLen = hunk.filter((o) => o.op !== '+').length
    const bLen = hunk.filter((o) => o.op !== '-').length
    out.push(`@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@`)
    for (const o of hunk) out.push(o.op + o.line)
    i = end
  }
  return out.join('\n') + '\n'
}

interface LineOp {
  op: ' ' | '-' | '+'
  line: string
  /** 1-based line numbers in the old and new text where this op sits. */
  a: number
  b: number
}

function splitLines(s: string): string[] {
  if (s === '') return []
  const lines = s.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

function range(start: number, len: number): string {
  // diff -u writes an empty range as "N,0" where N is the line before it.
  if (len === 0) return `${start - 1},0`
  return len === 1 ? `${start}` : `${start},${len}`
}

function lineOps(a: string[], b: string[]): LineOp[] {
  const n = a.length
  const m = b.length
  const lcs: Uint32Array[] = Array.from({length: n + 1}, () => new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
  }
  const ops: LineOp[] = []
  let i = 0
  let j = 0
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({op: ' ', line: a[i], a: i + 1, b: j + 1})
      i++
      j++
    } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      // Removals before additions inside a change, as diff -u shows them.
      ops.push({op: '-', line: a[i], a: i + 1, b: j + 1})
      i++
    } else {
      ops.push({op: '+', line: b[j], a: i + 1, b: j + 1})
      j++
    }
  }
  return ops
}
