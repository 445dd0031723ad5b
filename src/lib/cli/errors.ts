// The CLI's view of src/lib/errors.ts: which exit code each error category gets, in one place. Free of oclif on
// purpose (library modules of older branches import their error helpers from here); the conversion into what oclif
// prints lives in ./base.ts.
import {
  badInput, conflict, dataLoss, type ErrorCategory, isLbctlError, LbctlError as CoreLbctlError,
  type LbctlErrorOptions as CoreOptions, missing, problems, toLbctlError as coreToLbctlError, unreachable,
} from '../errors.js'

export {badInput, conflict, dataLoss, type ErrorCategory, isLbctlError, missing, problems, unreachable}

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

/** The one mapping from error category to the CLI's exit code. */
export const CLI_EXIT_CODES: Readonly<Record<ErrorCategory, ExitCodeValue>> = {
  'bad-input': ExitCode.BAD_INPUT,
  unreachable: ExitCode.UNREACHABLE,
  'data-loss': ExitCode.DATA_LOSS,
  missing: ExitCode.MISSING,
  conflict: ExitCode.CONFLICT,
  problems: ExitCode.PROBLEMS,
  bug: ExitCode.INTERNAL,
}

const CATEGORY_OF_EXIT = new Map<number, ErrorCategory>(Object.entries(CLI_EXIT_CODES).map(([c, x]) => [x, c as ErrorCategory]))

/** The exit code the CLI uses for an error. */
export function exitCodeOf(err: CoreLbctlError): ExitCodeValue {
  return CLI_EXIT_CODES[err.category]
}

/** Options of the CLI's LbctlError: a category, or (older callers) the CLI exit code it stands for. */
export type LbctlErrorOptions = Omit<CoreOptions, 'category'> & ({category: ErrorCategory; exitCode?: never} | {category?: never; exitCode: ExitCodeValue})

/**
 * src/lib/errors.ts's LbctlError, constructible with an `exitCode` as before the categories existed.
 * `instanceof` holds for every LbctlError, whoever made it. New code imports from src/lib/errors.ts.
 */
export class LbctlError extends CoreLbctlError {
  static override [Symbol.hasInstance](v: unknown): boolean {
    return isLbctlError(v)
  }

  constructor(message: string, opts: LbctlErrorOptions) {
    const category = opts.category ?? CATEGORY_OF_EXIT.get(opts.exitCode as number) ?? 'bug'
    super(message, {code: opts.code, category, hint: opts.hint, details: opts.details, cause: opts.cause})
  }
}

/** The error as `--json` prints it: `{code, exitCode, message, hint, details}` (README). */
export function errorJson(err: CoreLbctlError): Record<string, unknown> {
  return {code: err.code, exitCode: exitCodeOf(err), message: err.message, hint: err.hint, details: err.details}
}

/**
 * What the command layer adds to library errors: the lbctl flags that fix them (library messages name no CLI flags,
 * since daemons and other callers share them). Keyed by error code; replaces the library's hint.
 */
const CLI_HINTS: Readonly<Record<string, (e: CoreLbctlError) => string>> = {
  KUBECONFIG_NOT_FOUND: () => 'Pass the path of an existing kubeconfig to --kubeconfig.',
  KUBECONFIG_INVALID: () => 'Fix the file, or pass another with --kubeconfig.',
  NO_KUBECONFIG: () => 'Set KUBECONFIG or pass --kubeconfig PATH (try it without a cluster: `npm run harness -- --kubeconfig /tmp/kc --crds`).',
  NO_CURRENT_CONTEXT: () => 'Pass --context NAME, or run `kubectl config use-context NAME`.',
  SERVICE_ACCOUNT_UNREADABLE: () => 'Run in a pod whose service account token is mounted (automountServiceAccountToken: true), or pass --kubeconfig.',
  UNREACHABLE: (e) => `${e.hint ? e.hint.replace(/, or choose another cluster\.$/, '') : 'Check that the cluster is up'}, or choose another with --kubeconfig/--context.`,
  CONFIRMATION_REQUIRED: () => 'Pass --yes to apply it without asking, or --dry-run to only see the change.',
  DECLINED: () => 'Run again and answer yes, or pass --yes.',
  ADDRESSES_IN_USE: () => 'Move or delete those services first, or pass --force to do it anyway (they lose their addresses).',
  NAMESPACE_MISSING: () => 'Install the load balancer first (`lbctl install`, or MetalLB), or pass -n/--namespace with the namespace it runs in.',
  JUJU_FAILED: (e) => `${(e.hint ?? '').replace(/\(`juju status`\)\.$/, '')}(\`juju status\`, \`--juju-model\`).`,
}

/** The error as the CLI reports it: its hint names the flags that fix it. */
export function forCli(e: CoreLbctlError): CoreLbctlError {
  const hint = CLI_HINTS[e.code]
  if (!hint) return e
  return new CoreLbctlError(e.message, {code: e.code, category: e.category, hint: hint(e), details: e.details, cause: e.cause})
}

/** Map anything thrown to an LbctlError: oclif's own parse errors are bad input, unknown errors are bugs. */
export function toLbctlError(err: unknown, commandId?: string): CoreLbctlError {
  if (isLbctlError(err)) return forCli(err)
  const e = err as {message?: string; oclif?: {exit?: number}}
  if (e && typeof e === 'object' && e.oclif && typeof e.oclif.exit === 'number' && e.oclif.exit === ExitCode.BAD_INPUT) {
    return badInput('USAGE', e.message ?? String(err), commandId ? `See \`lbctl ${commandId.replaceAll(':', ' ')} --help\`.` : 'See `lbctl --help`.')
  }
  return coreToLbctlError(err)
}
