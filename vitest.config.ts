import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Lab tests create network namespaces; running files in parallel on 2 cores is fine, but
    // each lab picks its own namespace prefix so they never collide.
    pool: 'forks',
  },
})
