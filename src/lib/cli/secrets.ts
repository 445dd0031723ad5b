// Secrets given to commands: read from files or the environment, never echoed.
import {readFileSync} from 'node:fs'
import {badInput} from '../errors.js'

/** The first line of a file holding a secret (a trailing newline is not part of it). */
export function readSecretFile(path: string, flag: string): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as {code?: string}).code ?? 'error'
    throw badInput('SECRET_FILE_UNREADABLE', `${flag} ${path}: cannot read it (${code})`, `Check the path and its permissions (\`ls -l ${path}\`).`)
  }
  const value = text.replace(/\r?\n$/, '')
  if (value === '') throw badInput('SECRET_FILE_EMPTY', `${flag} ${path} is empty`, 'Put the password on the first line of the file.')
  if (value.includes('\n')) throw badInput('SECRET_FILE_LINES', `${flag} ${path} has more than one line`, 'Put only the password in the file, on one line.')
  return value
}
