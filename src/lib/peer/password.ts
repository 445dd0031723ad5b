// Where a BGP password comes from: a file, the environment, or a prompt — never a flag (it would show in `ps` and
// in shell history).
import {readFileSync} from 'node:fs'
import {badInput} from '../errors.js'

export const PASSWORD_ENV = 'LBCTL_BGP_PASSWORD'

export interface PasswordSources {
  file?: string
  env?: NodeJS.ProcessEnv
  /** Asks the user (no echo); undefined when nobody can answer. */
  ask?: () => Promise<string>
  /** --ask-password was given. */
  prompt?: boolean
}

export async function readPassword(src: PasswordSources): Promise<string | undefined> {
  const env = src.env ?? process.env
  if (src.file !== undefined) {
    try {
      return readFileSync(src.file, 'utf8').replace(/\r?\n$/, '')
    } catch (err) {
      throw badInput('PASSWORD_FILE', `cannot read --password-file ${src.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'Give a readable file that holds the password on one line.')
    }
  }
  if (src.prompt) {
    if (!src.ask) throw badInput('NO_TERMINAL', '--ask-password needs a terminal to ask on', `Use --password-file PATH or the ${PASSWORD_ENV} environment variable instead.`)
    return src.ask()
  }
  const v = env[PASSWORD_ENV]
  return v === undefined || v === '' ? undefined : v
}
