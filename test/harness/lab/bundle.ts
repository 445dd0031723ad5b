// Lab processes run inside namespaces with `ip netns exec NS node FILE`. Tests bundle their TypeScript entry points
// with esbuild so they do not depend on `npm run build` having been run; the native addon stays a runtime load.
import {existsSync, mkdirSync, mkdtempSync, readFileSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root: the nearest folder above this file whose package.json is lbctl's (works from src, dist, bundles). */
export const REPO_ROOT = ((): string => {
  for (let d = dirname(fileURLToPath(import.meta.url)); d !== dirname(d); d = dirname(d)) {
    const p = join(d, 'package.json')
    if (existsSync(p) && (JSON.parse(readFileSync(p, 'utf8')) as {name?: string}).name === 'lbctl') return d
  }
  throw new Error('lbctl repository root not found above ' + fileURLToPath(import.meta.url))
})()

const cache = new Map<string, Promise<string>>()
let outDir: string | undefined

/** Bundle a TypeScript entry point (path relative to the repo root) into one ESM file; returns its path. */
export function bundleEntry(entry: string): Promise<string> {
  let p = cache.get(entry)
  if (!p) {
    p = (async () => {
      const esbuild = await import('esbuild')
      // Inside the repository, so bare imports resolve to its node_modules and the addon is found walking up.
      const cacheDir = join(REPO_ROOT, 'node_modules', '.cache', 'lbctl-lab')
      mkdirSync(cacheDir, {recursive: true})
      outDir ??= mkdtempSync(join(cacheDir, 'b-'))
      const outfile = join(outDir, basename(entry).replace(/\.ts$/, '.mjs'))
      await esbuild.build({
        entryPoints: [resolve(REPO_ROOT, entry)], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20',
        packages: 'external', sourcemap: 'inline', logLevel: 'error',
      })
      return outfile
    })()
    cache.set(entry, p)
  }
  return p
}
