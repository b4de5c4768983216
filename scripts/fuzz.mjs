// `npm run fuzz`: the api fuzz suite (tests/integration/apiFuzz.test.ts) with many more cases
// than CI runs and a fresh seed each time (printed in test-results/fuzz-counts.json; replay one
// with VAE_LAB_FUZZ_SEED=N). `npm run fuzz -- 500` sets the cases per method.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)
const runs = process.argv[2] ?? process.env.VAE_LAB_FUZZ_RUNS ?? '200'
// vitest's package exports hide its bin: resolve it next to package.json.
const vitest = path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs')
const r = spawnSync(process.execPath, [vitest, 'run', 'tests/integration/apiFuzz.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, VAE_LAB_FUZZ_RUNS: runs }
})
process.exit(r.status ?? 1)
