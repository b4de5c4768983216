// Export speed (issue 6 asks for a full 4-run report in under 10 s): trains four tiny runs (latent
// 2, 5, 10, 50) into a temporary database, then times `exportFigures` writing the whole report
// (7 figures as SVG + PNG, one PDF, CSV/JSON metrics, configs). Needs `npm run build:node` first.
// Prints one JSON object on stdout.
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const dir = mkdtempSync(path.join(os.tmpdir(), 'vae-lab-bench-export-'))
const db = path.join(dir, 'runs.sqlite')

try {
  const trained = spawnSync(
    process.execPath,
    [
      'bin/vae-lab.js',
      'train',
      '--latent',
      '2,5,10,50',
      '--epochs',
      '2',
      '--limit-train',
      '2000',
      '--limit-test',
      '500',
      '--hidden',
      '64',
      '--sweep',
      'bench',
      '--json',
      '--db',
      db
    ],
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 }
  )
  if (trained.status !== 0) throw new Error(`training failed: ${trained.stderr}`)

  const t0 = performance.now()
  const { exportFigures } = require(path.join(root, 'out/node/api/exportService.js'))
  const { openRunStore } = require(path.join(root, 'out/node/core/store/openRunStore.js'))
  const loadSeconds = (performance.now() - t0) / 1000
  const store = await openRunStore(db)
  const runs = []
  try {
    for (const [i, projection] of ['pca', 'pca', 'pca', 'umap', 'tsne'].entries()) {
      const out = path.join(dir, `report-${i}`)
      const t = performance.now()
      const result = await exportFigures(store, {
        sweep: 'bench',
        report: true,
        outDir: out,
        projection,
        scale: 2
      })
      const bytes = readdirSync(out, { recursive: true }).reduce(
        (s, f) => s + (statSync(path.join(out, f)).isFile() ? statSync(path.join(out, f)).size : 0),
        0
      )
      runs.push({
        projection,
        first: i === 0,
        seconds: +((performance.now() - t) / 1000).toFixed(3),
        files: result.files.length,
        megabytes: +(bytes / 1e6).toFixed(2)
      })
    }
  } finally {
    await store.close()
  }
  const warmPca = runs.filter((r) => r.projection === 'pca' && !r.first).map((r) => r.seconds)
  console.log(
    JSON.stringify(
      {
        task: 'full report of 4 runs (latent 2, 5, 10, 50): 7 figures as SVG + PNG (scale 2), report.pdf, metrics CSV/JSON, configs',
        target_seconds: 10,
        module_load_seconds: +loadSeconds.toFixed(3),
        first_export_seconds: runs[0].seconds,
        warm_pca_seconds: Math.min(...warmPca),
        runs,
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version }
      },
      null,
      2
    )
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
