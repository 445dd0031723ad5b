// The frame of a daemon's main(): --help, flags, logging, start, signals, orderly shutdown, exit code. The daemon
// supplies how to parse its flags and what to start; everything it starts registers a shutdown hook.
import {isLbctlError, toLbctlError} from '../errors.js'
import {daemonExitCode, DaemonExit, type DaemonExitCode} from './exit.js'
import {wantsHelp} from './flags.js'
import {Lifecycle} from './lifecycle.js'
import {createLogger, type Logger, type LogLevel} from './log.js'

export interface DaemonContext {
  log: Logger
  lifecycle: Lifecycle
}

export interface DaemonDefinition<F> {
  /** pino's `component`, e.g. `controller`. */
  component: string
  usage: string
  parse: (argv: string[], env: NodeJS.ProcessEnv) => F
  logLevel: (flags: F) => LogLevel
  /** Keys every log line carries (e.g. the identity). */
  logBase?: (flags: F) => Record<string, unknown>
  /** Start everything; register shutdown hooks on `ctx.lifecycle`. A thrown LbctlError ends the daemon with its category's code. */
  start: (flags: F, ctx: DaemonContext) => Promise<void>
  /** Shutdown deadline (default 20 s). */
  shutdownDeadlineMs?: number
}

/** Run a daemon until SIGTERM/SIGINT; resolves with its exit code (src/lib/daemon/exit.ts). */
export async function runDaemon<F>(d: DaemonDefinition<F>, argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<DaemonExitCode> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${d.usage}\n`)
    return DaemonExit.OK
  }
  let flags: F
  try {
    flags = d.parse(argv, env)
  } catch (err) {
    const e = toLbctlError(err)
    process.stderr.write(`${d.component}: ${e.message}\n${e.hint ? `${e.hint}\n` : ''}`)
    return daemonExitCode(e.category)
  }
  const log = createLogger({level: d.logLevel(flags), component: d.component, base: d.logBase?.(flags)})
  const lifecycle = new Lifecycle({log, deadlineMs: d.shutdownDeadlineMs})
  const done = lifecycle.listen()
  try {
    await d.start(flags, {log, lifecycle})
  } catch (err) {
    const e = toLbctlError(err)
    log.fatal({err: e.message, code: e.code, hint: e.hint, ...(isLbctlError(err) ? {} : {stack: (err as Error)?.stack})}, 'cannot start')
    await lifecycle.shutdown('start failed', daemonExitCode(e.category))
  }
  const code = await done
  log.flush?.()
  return code
}
