// Typed parse errors for src/lib/net. They do not extend LbctlError on purpose: net is pure and must not pull in
// oclif; the CLI layer maps `code` to an exit code (BAD_INPUT) and prints `hint`.

/** Quote a token for a message; JSON escaping keeps control characters and quotes visible. */
export function quote(token: string): string {
  return JSON.stringify(token)
}

/**
 * One problem with one token: which token (as the user wrote it), what is wrong, and how to fix it when obvious.
 * `message` is `"<token>": <reason>[: <hint>]`.
 */
export class NetParseError extends Error {
  /** Stable machine-readable code for the CLI's error mapping. */
  readonly code = 'INVALID_ADDRESS'
  /** The offending text exactly as written (trimmed). Empty for an empty list item. */
  readonly token: string
  /** What is wrong, in words, e.g. `octet 4 ("256") is greater than 255`. */
  readonly reason: string
  /** How to fix it, when the fix is obvious, e.g. `write 1.2.3.4-1.2.3.9`. */
  readonly hint?: string
  /** Position of the item in the list (0-based), when parsed as part of a list. */
  index?: number

  constructor(token: string, reason: string, hint?: string, index?: number) {
    super(`${quote(token)}: ${reason}${hint ? `: ${hint}` : ''}`)
    this.name = 'NetParseError'
    this.token = token
    this.reason = reason
    this.hint = hint
    this.index = index
  }
}

/** Every problem found in an address list; nothing in the list is used when this is thrown. */
export class AddressListError extends Error {
  readonly code = 'INVALID_ADDRESS_LIST'
  /** All problems, in input order; never empty. */
  readonly problems: NetParseError[]

  constructor(problems: NetParseError[]) {
    super(problems.map((p) => p.message).join('\n'))
    this.name = 'AddressListError'
    this.problems = problems
  }
}
