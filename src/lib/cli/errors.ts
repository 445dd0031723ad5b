import {Errors} from '@oclif/core'

/**
 * Exit codes of every lbctl command. Documented in README.md ("Exit codes"); change both together.
 */
export const ExitCode = {
  OK: 0,
  /** The command ran and found problems (doctor, prepare --check, a probe that got no answer). */
  PROBLEMS: 1,
  /** Bad flags, arguments or input: nothing was changed. */
  BAD_INPUT: 2,
  /** The cluster could not be reached, or refused us (401/403). */
  UNREACHABLE: 3,
  /** Refused because it would take away something in use (use --force to override). */
  DATA_LOSS: 4,
  /** A prerequisite is missing: CRDs not installed, native module not built, a capability not held. */
  MISSING: 5,
  /** A conflict: a concurrent modification, or the network shows two owners for one address. */
  CONFLICT: 6,
  /** A bug in lbctl. */
  INTERNAL: 70,
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export interface LbctlErrorOptions {
  /** Stable machine-readable code, e.g. `POOL_OVERLAP`. */
  code: string
  exitCode: ExitCodeValue
  /** What to do about it; ideally a command. */
  hint?: string
  /** Structured detail for --json (e.g. the services that hold addresses). */
  details?: unknown
  cause?: unknown
}

/** The one error type every user-facing failure becomes. oclif prints it and exits with `exitCode`. */
export class LbctlError extends Errors.CLIError {
  override readonly code: string
  readonly exitCode: ExitCodeValue
  readonly hint?: string
  readonly details?: unknown

  constructor(message: string, opts: LbctlErrorOptions) {
    super(message, {exit: opts.exitCode, code: opts.code, suggestions: opts.hint ? [opts.hint] : undefined})
    // oclif prints `<name>: <message>`; users should see "Error:", not a class name.
    this.name = 'Error'
    this.code = opts.code
    this.exitCode = opts.exitCode
    this.hint = opts.hint
    this.details = opts.details
    if (opts.cause !== undefined) (this as {cause?: unknown}).cause = opts.cause
  }

  toJSON(): Record<string, unknown> {
    return {code: this.code, exitCode: this.exitCode, message: this.message, hint: this.hint, details: this.details}
  }
}

export const badInput = (code: string, message: string, hint?: string, details?: unknown): LbctlError =>
  new LbctlError(message, {code, exitCode: ExitCode.BAD_INPUT, hint, details})

export const dataLoss = (code: string, message: string, hint?: string, details?: unknown): LbctlError =>
  new LbctlError(message, {code, exitCode: ExitCode.DATA_LOSS, hint, details})

export const missing = (code: string, message: string, hint?: string, details?: unknown): LbctlError =>
  new LbctlError(message, {code, exitCode: ExitCode.MISSING, hint, details})

export const conflict = (code: string, message: string, hint?: string, details?: unknown): LbctlError =>
  new LbctlError(message, {code, exitCode: ExitCode.CONFLICT, hint, details})

export const unreachable = (code: string, message: string, hint?: string, details?: unknown): LbctlError =>
  new LbctlError(message, {code, exitCode: ExitCode.UNREACHABLE, hint, details})

export const problems = (code: string, message: string, hint?: string, details?: unknown): LbctlError =>
  new LbctlError(message, {code, exitCode: ExitCode.PROBLEMS, hint, details})

/** Map anything thrown to an LbctlError; unknown errors are bugs (INTERNAL). */
export function toLbctlError(err: unknown): LbctlError {
  if (err instanceof LbctlError) return err
  const e = err as {message?: string; oclif?: {exit?: number}}
  if (e && typeof e === 'object' && e.oclif && typeof e.oclif.exit === 'number' && e.oclif.exit === ExitCode.BAD_INPUT) {
    return badInput('USAGE', e.message ?? String(err), 'See `lbctl <command> --help`.')
  }
  return new LbctlError(e?.message ?? String(err), {
    code: 'INTERNAL',
    exitCode: ExitCode.INTERNAL,
    hint: 'This is a bug in lbctl; run again with DEBUG=lbctl* and report it.',
    cause: err,
  })
}
