// The one error type of lbctl's library, free of any CLI framework: the CLI (src/lib/cli/errors.ts) and each daemon
// map the category to their own exit codes, so a library module never decides how a process ends.

/** What kind of failure it is; decides the exit code of whichever program reports it. */
export type ErrorCategory =
  /** Bad flags, arguments, input or configuration: nothing was changed. */
  | 'bad-input'
  /** The cluster (or another peer) could not be reached, or refused us (401/403, TLS). */
  | 'unreachable'
  /** Refused because it would take away something in use. */
  | 'data-loss'
  /** A prerequisite is missing: CRDs, a namespace, the native module, a capability. */
  | 'missing'
  /** A concurrent modification, or two owners for one address. */
  | 'conflict'
  /** The operation ran and found problems (a check, a probe that got no answer, a rollout that did not finish). */
  | 'problems'
  /** A bug in lbctl. */
  | 'bug'

export const ERROR_CATEGORIES: readonly ErrorCategory[] = ['bad-input', 'unreachable', 'data-loss', 'missing', 'conflict', 'problems', 'bug']

export interface LbctlErrorOptions {
  /** Stable machine-readable code, e.g. `POOL_OVERLAP`. */
  code: string
  category: ErrorCategory
  /** What to do about it; ideally a command. */
  hint?: string
  /** Structured detail for machine-readable output (e.g. the services that hold addresses). */
  details?: unknown
  cause?: unknown
}

/** Every failure a user or an operator can cause becomes one of these. */
export class LbctlError extends Error {
  readonly code: string
  readonly category: ErrorCategory
  readonly hint?: string
  readonly details?: unknown

  constructor(message: string, opts: LbctlErrorOptions) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause})
    // Printed as "Error: <message>"; users should not see a class name.
    this.name = 'Error'
    this.code = opts.code
    this.category = opts.category
    this.hint = opts.hint
    this.details = opts.details
  }

  toJSON(): Record<string, unknown> {
    return {code: this.code, category: this.category, message: this.message, hint: this.hint, details: this.details}
  }
}

/** True for an LbctlError, also one made by another copy of this module (bundles may hold two). */
export function isLbctlError(err: unknown): err is LbctlError {
  if (err instanceof LbctlError) return true
  const e = err as {code?: unknown; category?: unknown; message?: unknown} | null
  return !!e && typeof e === 'object' && err instanceof Error && typeof e.code === 'string' &&
    typeof e.category === 'string' && (ERROR_CATEGORIES as readonly string[]).includes(e.category)
}

const make = (category: ErrorCategory) => (code: string, message: string, hint?: string, details?: unknown): LbctlError =>
  new LbctlError(message, {code, category, hint, details})

export const badInput = make('bad-input')
export const dataLoss = make('data-loss')
export const missing = make('missing')
export const conflict = make('conflict')
export const unreachable = make('unreachable')
export const problems = make('problems')

/** Anything thrown, as an LbctlError: unknown errors are bugs. */
export function toLbctlError(err: unknown, hint = 'This is a bug in lbctl: run the command again with LBCTL_DEBUG=1 (prints where it failed) and report that output.'): LbctlError {
  if (isLbctlError(err)) return err
  const e = err as {message?: string} | null
  return new LbctlError(e?.message ?? String(err), {code: 'INTERNAL', category: 'bug', hint, cause: err})
}

const PARTIAL = 'partialResult'

/**
 * Attach what an operation got done before it failed (a probe's steps, the answers it saw): `--json` prints it in the
 * same shape as success, with the error beside it, instead of losing it. Returns the error, for `throw withResult(…)`.
 */
export function withResult<E extends Error>(err: E, result: unknown): E {
  Object.defineProperty(err, PARTIAL, {value: result, enumerable: false, configurable: true})
  return err
}

/** The result attached by withResult, if any (also on an error made by another copy of this module). */
export function resultOf(err: unknown): unknown {
  return err && typeof err === 'object' ? (err as Record<string, unknown>)[PARTIAL] : undefined
}
