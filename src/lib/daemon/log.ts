// Structured JSON logs (pino) with the same shape in every daemon: ISO timestamps, a `component`, stable keys.
import {type Logger, pino} from 'pino'

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
export type {Logger}

export function createLogger(opts: {level: LogLevel; component: string; base?: Record<string, unknown>; destination?: NodeJS.WritableStream}): Logger {
  const options = {level: opts.level, base: {component: opts.component, ...opts.base}, timestamp: pino.stdTimeFunctions.isoTime}
  return opts.destination ? pino(options, opts.destination) : pino(options)
}
