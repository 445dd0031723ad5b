// A set of addresses kept as disjoint, non-adjacent inclusive intervals in a treap keyed by interval start.
// Every operation costs O(log k) for k intervals, independent of how many addresses the intervals hold, so a /30 and
// an IPv6 /64 cost the same (ARCHITECTURE.md: allocation never scans a pool linearly).

interface Node {
  s: bigint
  e: bigint
  /** Heap priority; drawn from a seeded generator so the structure (and its cost) is deterministic. */
  p: number
  l: Node | null
  r: Node | null
}

export interface Interval {
  start: bigint
  end: bigint
}

export class FreeSet {
  private root: Node | null = null
  private seed = 0x9e3779b9
  private total = 0n
  private nodes = 0

  /** A set holding the given intervals (they may overlap or touch; they are merged). */
  constructor(intervals: Interval[] = []) {
    const sorted = [...intervals].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
    for (const iv of sorted) this.addRange(iv.start, iv.end)
  }

  /** Number of addresses in the set, exactly. */
  get size(): bigint {
    return this.total
  }

  /** Number of intervals (what the cost of an operation depends on). */
  get intervals(): number {
    return this.nodes
  }

  has(v: bigint): boolean {
    return this.find(v) !== null
  }

  /** The lowest address in the set, or undefined when it is empty. */
  lowest(): bigint | undefined {
    let n = this.root
    if (!n) return undefined
    while (n.l) n = n.l
    return n.s
  }

  /** Removes one address; false when it was not in the set. */
  remove(v: bigint): boolean {
    const n = this.find(v)
    if (!n) return false
    this.total -= 1n
    if (n.s === n.e) {
      this.root = deleteKey(this.root, n.s)
      this.nodes--
    } else if (v === n.s) {
      // The start moves up but stays below the next interval's start, so the tree order holds.
      n.s = v + 1n
    } else if (v === n.e) {
      n.e = v - 1n
    } else {
      const end = n.e
      n.e = v - 1n
      this.insert(v + 1n, end)
    }
    return true
  }

  /** Adds one address; false when it was already in the set. */
  add(v: bigint): boolean {
    if (this.has(v)) return false
    this.total += 1n
    const pred = this.floor(v)
    const succ = this.ceilingAbove(v)
    const joinPred = pred !== null && pred.e + 1n === v
    const joinSucc = succ !== null && succ.s === v + 1n
    if (joinPred && joinSucc) {
      const end = succ.e
      this.root = deleteKey(this.root, succ.s)
      this.nodes--
      pred.e = end
    } else if (joinPred) {
      pred.e = v
    } else if (joinSucc) {
      succ.s = v
    } else {
      this.insert(v, v)
    }
    return true
  }

  /** Adds every address of [start, end]; only for building a set from disjoint sorted ranges. */
  private addRange(start: bigint, end: bigint): void {
    const pred = this.floor(start)
    if (pred && pred.e + 1n >= start) {
      if (end > pred.e) {
        this.total += end - pred.e
        pred.e = end
      }
      return
    }
    this.total += end - start + 1n
    this.insert(start, end)
  }

  /** The intervals in order (for tests and status). */
  toArray(): Interval[] {
    const out: Interval[] = []
    const walk = (n: Node | null): void => {
      if (!n) return
      walk(n.l)
      out.push({start: n.s, end: n.e})
      walk(n.r)
    }
    walk(this.root)
    return out
  }

  private find(v: bigint): Node | null {
    let n = this.root
    while (n) {
      if (v < n.s) n = n.l
      else if (v > n.e) n = n.r
      else return n
    }
    return null
  }

  /** The interval with the greatest start ≤ v. */
  private floor(v: bigint): Node | null {
    let n = this.root
    let best: Node | null = null
    while (n) {
      if (n.s <= v) {
        best = n
        n = n.r
      } else n = n.l
    }
    return best
  }

  /** The interval with the least start > v. */
  private ceilingAbove(v: bigint): Node | null {
    let n = this.root
    let best: Node | null = null
    while (n) {
      if (n.s > v) {
        best = n
        n = n.l
      } else n = n.r
    }
    return best
  }

  private insert(s: bigint, e: bigint): void {
    // xorshift32: deterministic priorities keep the tree balanced in expectation without a clock or Math.random.
    let x = this.seed
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.seed = x >>> 0
    const node: Node = {s, e, p: this.seed, l: null, r: null}
    const [a, b] = split(this.root, s)
    this.root = merge(merge(a, node), b)
    this.nodes++
  }
}

/** Splits into (starts < key, starts ≥ key). */
function split(n: Node | null, key: bigint): [Node | null, Node | null] {
  if (!n) return [null, null]
  if (n.s < key) {
    const [a, b] = split(n.r, key)
    n.r = a
    return [n, b]
  }
  const [a, b] = split(n.l, key)
  n.l = b
  return [a, n]
}

/** Joins two treaps where every start in `a` is below every start in `b`. */
function merge(a: Node | null, b: Node | null): Node | null {
  if (!a) return b
  if (!b) return a
  if (a.p > b.p) {
    a.r = merge(a.r, b)
    return a
  }
  b.l = merge(a, b.l)
  return b
}

function deleteKey(n: Node | null, s: bigint): Node | null {
  if (!n) return null
  if (s < n.s) n.l = deleteKey(n.l, s)
  else if (s > n.s) n.r = deleteKey(n.r, s)
  else return merge(n.l, n.r)
  return n
}
