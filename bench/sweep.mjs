// Sweep throughput (issue 4): the paper's four runs (latent 2, 5, 10, 50; 784-500-z, batch 100,
// Adam) on N training images, trained with --workers 1 and then --workers 2, through the CLI.
// Aggregate images/s = all runs' training images / wall time of the whole sweep. Prints JSON.
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const images = Number(process.argv[2] ?? 60000)
const epochs = 2
const latents = [2, 5, 10, 50]

function sweep(workers) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-sweep-bench-'))
  const args = [
    'bin/vae-lab.js',
    'train',
    '--latent',
    latents.join(','),
    '--epochs',
    String(epochs),
    '--limit-train',
    String(images),
    '--limit-test',
    '1000',
    '--workers',
    String(workers),
    '--json',
    '--db',
    path.join(dir, 'runs.sqlite')
  ]
  const t = performance.now()
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' })
  const seconds = (performance.now() - t) / 1000
  fs.rmSync(dir, { recursive: true, force: true })
  if (r.status !== 0) return { workers, error: r.stderr.trim().split('\n').pop() }
  const runs = JSON.parse(r.stdout)
  return {
    workers,
    backend: runs[0].backend,
    wall_seconds: +seconds.toFixed(1),
    aggregate_img_per_s: Math.round((latents.length * epochs * images) / seconds),
    per_run_img_per_s: runs.map((x) => Math.round(x.img_per_s))
  }
}

const one = sweep(1)
const two = sweep(2)
console.log(
  JSON.stringify(
    {
      sweep: `latent ${latents.join('/')}, ${epochs} epochs x ${images} images, incl. start-up and per-epoch evaluation`,
      cores: os.availableParallelism(),
      one_worker: one,
      two_workers: two,
      speedup:
        two.aggregate_img_per_s && one.aggregate_img_per_s
          ? +(two.aggregate_img_per_s / one.aggregate_img_per_s).toFixed(2)
          : null
    },
    null,
    2
  )
)
