// Annotated hex fixtures: one field per line, `# comment` after it; whitespace ignored.
export function hex(annotated: string): Buffer {
  const clean = annotated
    .split('\n')
    .map((l) => l.replace(/#.*$/, ''))
    .join('')
    .replace(/\s+/g, '')
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad fixture: ${clean}`)
  return Buffer.from(clean, 'hex')
}

export const MARKER = 'ff'.repeat(16)
