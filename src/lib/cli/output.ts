import chalk from 'chalk'
import {stringify as toYaml} from 'yaml'

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml'
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'wide', 'json', 'yaml']

/** Colour only on a TTY, and never with NO_COLOR (https://no-color.org). */
export function configureColor(stream: NodeJS.WriteStream = process.stdout, env = process.env): void {
  const off = (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || !stream.isTTY || env.TERM === 'dumb'
  if (off) chalk.level = 0
}

export interface Column<Row> {
  header: string
  get: (row: Row) => string | number | bigint | boolean | undefined
  /** Only shown with -o wide. */
  wide?: boolean
  align?: 'left' | 'right'
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g
const visibleLength = (s: string): number => s.replace(ANSI, '').length

/** Render rows as an aligned, kubectl-style table (upper-case headers, two spaces between columns). */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[], wide = false): string {
  const cols = columns.filter((c) => wide || !c.wide)
  const cells = rows.map((r) => cols.map((c) => {
    const v = c.get(r)
    return v === undefined || v === '' ? '-' : String(v)
  }))
  const headers = cols.map((c) => c.header.toUpperCase())
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => visibleLength(row[i]))))
  const line = (vals: string[]): string =>
    vals
      .map((v, i) => {
        const pad = ' '.repeat(widths[i] - visibleLength(v))
        if (i === vals.length - 1 && cols[i].align !== 'right') return v
        return cols[i].align === 'right' ? pad + v : v + pad
      })
      .join('  ')
  return [line(headers.map((h) => chalk.bold(h))), ...cells.map(line)].join('\n')
}

/** JSON that survives bigint (as decimal strings would lose type, bigints become numbers when safe, else strings). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, jsonReplacer, 2)
}

export function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()
  return v
}

/** Convert bigints for YAML/JSON consumers in one place. */
export function plain<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, jsonReplacer))
}

export function render<Row>(format: OutputFormat, data: unknown, table?: {rows: readonly Row[]; columns: readonly Column<Row>[]}): string {
  switch (format) {
    case 'json':
      return toJson(data)
    case 'yaml':
      return toYaml(plain(data))
    case 'wide':
    case 'table':
      if (!table) return toYaml(plain(data))
      return table.rows.length === 0 ? 'No resources found.' : renderTable(table.rows, table.columns, format === 'wide')
  }
}
