// Writes oclif.manifest.json from the built commands (what `oclif manifest` does; that CLI needs Node 22).
import {writeFileSync} from 'node:fs'
import {Plugin} from '@oclif/core'

const check = process.argv.includes('--check')
const root = new URL('..', import.meta.url).pathname
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true})
await plugin.load()
const text = JSON.stringify(plugin.manifest, null, 2) + '\n'
if (check) {
  process.stdout.write(text)
} else {
  writeFileSync(new URL('../oclif.manifest.json', import.meta.url), text)
}
