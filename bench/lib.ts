// Shared shape of every benchmark. `npm run bench` (bench/run.mjs) runs each bench/*.bench.ts (built to dist/bench)
// and rewrites its section of BENCHMARKS.md. Benchmarks measure; they never assert.

export interface BenchRow {
  /** What was measured, e.g. "announce 10,000 /32 → FRR holds all". */
  metric: string
  /** lbctl's number. */
  value: number
  unit: string
  /** The reference implementation's number for the same work in the same run, when one exists. */
  reference?: {name: string; value: number}
  /** value / reference.value (lower is better unless stated). */
  ratio?: number
  /** The target from the issue, in words, e.g. "≤ 1.0× fastest reference". */
  target?: string
  /** Whether the target is met, when there is one. */
  met?: boolean
}

export interface BenchReport {
  id: string
  title: string
  /** How it was measured: setup, repetitions, statistic (median of N), what the reference did. */
  method: string
  rows: BenchRow[]
  notes?: string[]
}

export interface Bench {
  id: string
  title: string
  /** Benchmarks needing root/network namespaces/daemons declare it; run.mjs reports them as not run when missing. */
  needs?: string[]
  run(): Promise<BenchReport>
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}
