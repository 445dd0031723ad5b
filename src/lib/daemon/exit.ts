// Exit codes of lbctl's daemons (controller, speaker). Documented in README.md ("Daemon exit codes"); change both
// together. They follow the CLI's numbers where the meaning is the same, so a process supervisor's log reads alike.
import type {ErrorCategory} from '../errors.js'

export const DaemonExit = {
  /** Stopped by SIGTERM/SIGINT after an orderly shutdown, or `--help`. */
  OK: 0,
  /** Stopped, but the shutdown hooks did not finish within the deadline (or one failed). */
  UNCLEAN_SHUTDOWN: 1,
  /** Bad flags, environment or configuration at start. */
  BAD_CONFIG: 2,
  /** The API server could not be reached or refused us at start (no kubeconfig, TLS, 401/403). */
  UNREACHABLE: 3,
  /** A prerequisite is missing: a capability, the native module, CRDs, permission to bind a port. */
  MISSING: 5,
  /** Something else holds what the daemon needs, e.g. its port is in use. */
  CONFLICT: 6,
  /** A bug in lbctl. */
  INTERNAL: 70,
} as const
export type DaemonExitCode = (typeof DaemonExit)[keyof typeof DaemonExit]

const BY_CATEGORY: Readonly<Record<ErrorCategory, DaemonExitCode>> = {
  'bad-input': DaemonExit.BAD_CONFIG,
  unreachable: DaemonExit.UNREACHABLE,
  missing: DaemonExit.MISSING,
  conflict: DaemonExit.CONFLICT,
  // A daemon refuses nothing for data loss and has no "found problems" outcome at start; both would be bugs.
  'data-loss': DaemonExit.INTERNAL,
  problems: DaemonExit.INTERNAL,
  bug: DaemonExit.INTERNAL,
}

/** The exit code a daemon uses when it cannot start for an error of this category. */
export function daemonExitCode(category: ErrorCategory): DaemonExitCode {
  return BY_CATEGORY[category]
}
