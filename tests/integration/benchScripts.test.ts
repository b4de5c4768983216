// `npm run bench` drives these scripts against out/node; when the model interface changed they
// crashed (TypeError in the bench, never in a test). Each runs here on its shortest setting and
// must print its JSON with finite numbers.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadBlasAddon } from '../../src-main/core/backend/blasKernels'

const ROOT = path.resolve(__dirname, '../..')
const blas = loadBlasAddon().ok

function bench(script: string, args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [path.join('bench', script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000
  })
  expect(r.stderr).not.toMatch(/Error/)
  expect(r.status).toBe(0)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>
}

describe('the benchmark scripts', () => {
  it('evaluation.mjs times the test pass and the figure data', () => {
    const out = bench('evaluation.mjs', [
      `--backend=${blas ? 'wasm-blas' : 'wasm'}`,
      '--parts=elbo,figures'
    ])
    const elbo = out.elbo as { seconds: number; value: number }
    expect(elbo.seconds).toBeGreaterThan(0)
    expect(Number.isFinite(elbo.value)).toBe(true)
    expect((out.figures as { seconds: number }).seconds).toBeGreaterThan(0)
  })

  it.skipIf(!blas)('blas.mjs splits a step into its parts and times 1 against 2 threads', () => {
    const parts = bench('blas.mjs', ['--mode=breakdown', '--steps', '20'])
    expect(parts.stepMs).toBeGreaterThan(0)
    expect(parts.kernelsPerStep).toBeGreaterThan(10)
    const threads = bench('blas.mjs', ['--mode=threads'])
    expect(threads.msPerStep1).toBeGreaterThan(0)
    expect(threads.msPerStep2).toBeGreaterThan(0)
  })
})
