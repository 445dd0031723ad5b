import {Command, Errors, Flags, Interfaces} from '@oclif/core'
import chalk from 'chalk'
import {validNamespaceName} from '../api/selectors.js'
import {badInput, isLbctlError, type LbctlError, resultOf, withResult} from '../errors.js'
import {errorJson, exitCodeOf, toLbctlError} from './errors.js'
import {configureColor, type Column, OUTPUT_FORMATS, type OutputFormat, plain, render} from './output.js'

/**
 * Base of every lbctl command: `--json`, typed errors mapped to exit codes in one place, colour rules.
 * A command parses, calls one library function, and returns its typed result (printed by `report`).
 */
export abstract class LbctlCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  protected flags!: Interfaces.InferredFlags<(typeof LbctlCommand)['baseFlags'] & T['flags']>
  protected args!: Interfaces.InferredArgs<T['args']>

  public override async init(): Promise<void> {
    await super.init()
    configureColor()
    const {args, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof LbctlCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as typeof this.flags
    this.args = args as typeof this.args
  }

  protected override async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    const e = toLbctlError(err, this.id)
    // LBCTL_DEBUG=1: where it failed (the stack of the error and of its cause), for a bug report. Never secrets: flags
    // that carry them are taken out of argv before anything runs (bin/run.js).
    if (process.env.LBCTL_DEBUG) {
      const cause = (e as {cause?: {stack?: string}}).cause
      process.stderr.write(`${e.stack ?? e.message}\n${cause?.stack ? `caused by: ${cause.stack}\n` : ''}`)
    }
    // -o json/yaml print on stdout what --json prints (toErrorJson): the error, beside what the command got done before
    // it failed, where success puts it; the message for people still goes to stderr. Tables were printed by the command.
    const partial = resultOf(err) ?? resultOf(e)
    const f = this.format
    if (!this.jsonEnabled() && (f === 'json' || f === 'yaml')) {
      this.log(render(f, {...(partial === undefined ? {} : plain(partial) as object), error: plain(errorJson(e))}))
    }
    return super.catch(partial === undefined ? toOclifError(e) : withResult(toOclifError(e), partial))
  }

  /** `--json` of a failure: `{error}`, or the partial result (resultOf) in the shape of success with `error` added. */
  protected override toErrorJson(err: unknown): unknown {
    const own = (err as {lbctl?: unknown} | null)?.lbctl
    const error = plain(errorJson(isLbctlError(own) ? own : toLbctlError(err, this.id)))
    const partial = resultOf(err) ?? resultOf(own)
    return partial === undefined ? {error} : {...(plain(partial) as object), error}
  }

  /**
   * oclif colours JSON with a tokenizer that costs ~1 s for a 3 MB document (doctor -A on 1,000 services); without
   * colour (not a TTY, NO_COLOR) the same text comes from JSON.stringify.
   */
  override logJson(json: unknown): void {
    if (chalk.level === 0) process.stdout.write(JSON.stringify(json, null, 2) + '\n')
    else super.logJson(json)
  }

  protected override toSuccessJson(result: unknown): unknown {
    return plain(result)
  }

  /** Output format chosen by -o/--output, with --json taking precedence. */
  protected get format(): OutputFormat {
    if (this.jsonEnabled()) return 'json'
    const f = (this.flags as {output?: OutputFormat} | undefined)?.output
    return f ?? 'table'
  }

  /**
   * Print a result in the chosen format. Under --json oclif prints the returned value itself, so this prints nothing.
   * `text` renders the table form when a command has something better than rows (a summary line, a diff).
   */
  protected report<Row>(data: unknown, view?: {rows: readonly Row[]; columns: readonly Column<Row>[]} | (() => string)): void {
    if (this.jsonEnabled()) return
    const f = this.format
    if (typeof view === 'function' && (f === 'table' || f === 'wide')) {
      this.log(view())
      return
    }
    this.log(render(f, data, typeof view === 'function' ? undefined : view))
  }

  /** Progress and warnings go to stderr, so stdout stays machine-readable. */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(message + '\n')
  }

  /** A result's warnings, for people: on stderr, one per line (--json and -o json/yaml carry them in the data). */
  protected warnings(list: readonly string[]): void {
    for (const w of list) this.note(chalk.yellow(`Warning: ${w}`))
  }
}

/** How oclif prints an LbctlError and exits: "Error: <message>", the hint as a suggestion, the category's exit code. */
export function toOclifError(e: LbctlError): Errors.CLIError & {exitCode: number; lbctl: LbctlError} {
  const exit = exitCodeOf(e)
  // A hint that only repeats the message (or part of it) says nothing: leave it out.
  const hint = e.hint && !e.message.toLowerCase().includes(e.hint.trim().replace(/\.$/, '').toLowerCase()) ? e.hint : undefined
  const out = new Errors.CLIError(e.message, {exit, code: e.code, suggestions: hint ? [hint] : undefined}) as Errors.CLIError & {exitCode: number; lbctl: LbctlError}
  out.name = 'Error'
  out.exitCode = exit
  out.lbctl = e
  if (e.cause !== undefined) (out as {cause?: unknown}).cause = e.cause
  return out
}

/** -o/--output, on every command that has --json (-o json is --json's data, -o yaml the same as YAML). */
export const outputFlag = Flags.option({char: 'o', description: 'Output format.', options: OUTPUT_FORMATS, helpGroup: 'OUTPUT'})()

/** Flags of every command that talks to a cluster (kubectl's spellings). */
export const clusterFlags = {
  kubeconfig: Flags.string({description: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).', helpGroup: 'CLUSTER'}),
  context: Flags.string({description: 'The kubeconfig context to use.', helpGroup: 'CLUSTER'}),
  namespace: Flags.string({char: 'n', description: 'Namespace of the load balancer.', default: 'metallb-system', helpGroup: 'CLUSTER'}),
  output: outputFlag,
}

export interface ClusterTarget {
  kubeconfig?: string
  context?: string
  namespace: string
}

/** Base of commands that talk to a cluster. */
export abstract class ClusterCommand<T extends typeof Command> extends LbctlCommand<T> {
  static override baseFlags = {...clusterFlags}

  protected get target(): ClusterTarget {
    const f = this.flags as unknown as ClusterTarget
    // Checked before anything is read or written: an empty one would fall back to the kubeconfig's namespace, a bad one
    // would list nothing and say so with exit 0, and an upper-case one would be read as another.
    const why = validNamespaceName(f.namespace)
    if (why) {
      throw badInput('BAD_NAMESPACE', `namespace ${JSON.stringify(f.namespace)} ${why}`, 'Namespace names are lower-case letters, digits and "-", at most 63 characters; the load balancer\'s is usually metallb-system (-n metallb-system).')
    }
    return {kubeconfig: f.kubeconfig, context: f.context, namespace: f.namespace}
  }
}
