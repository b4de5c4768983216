// `npm run bench`: training throughput of VAE Lab's backends against PyTorch measured in the same
// run (784-500-20, batch 100, Adam, one thread). Prints one JSON object on stdout.
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PYTHON = process.env.VAE_LAB_TORCH_PYTHON ?? '/usr/bin/python3'
const WASM_TRANSPOSE_FREE_BASELINE = 1717 // design.md: best tfjs wasm figure measured before this project

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 })
  if (r.status !== 0)
    return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop() }
  return JSON.parse(r.stdout)
}

function pytorch() {
  if (!existsSync(PYTHON)) return { error: `${PYTHON} not found` }
  return run(PYTHON, [
    path.join('bench', 'pytorch_vae.py'),
    '--bench-steps',
    '300',
    '--threads',
    '1',
    '--latent',
    '20'
  ])
}

const torchBefore = pytorch()
const vaeLab = run(process.execPath, [
  'bin/vae-lab.js',
  'bench',
  '--json',
  '--steps',
  '300',
  '--max-seconds',
  '15'
])
const torchAfter = pytorch()
// webgpu at larger batches and a wide model, against the best CPU path (bench/webgpu.mjs).
const webgpu = run(process.execPath, [path.join('bench', 'webgpu.mjs')])
const torchRates = [torchBefore, torchAfter]
  .filter((t) => typeof t.img_per_s === 'number')
  .map((t) => t.img_per_s)
const torchImgPerSec = torchRates.length
  ? torchRates.reduce((a, b) => a + b, 0) / torchRates.length
  : null

const results = (vaeLab.results ?? []).map((r) => ({
  ...r,
  vs_pytorch: r.imgPerSec && torchImgPerSec ? +(r.imgPerSec / torchImgPerSec).toFixed(3) : null,
  vs_wasm_baseline_1717: r.imgPerSec
    ? +(r.imgPerSec / WASM_TRANSPOSE_FREE_BASELINE).toFixed(2)
    : null
}))

console.log(
  JSON.stringify(
    {
      model: '784-500-20',
      batch: 100,
      optimizer: 'adam',
      threads: 1,
      pytorch: torchImgPerSec
        ? {
            img_per_s: Math.round(torchImgPerSec),
            runs: torchRates.map(Math.round),
            blas: torchBefore.blas,
            torch: torchBefore.torch
          }
        : { unavailable: torchBefore.error ?? 'no result' },
      vae_lab: vaeLab.error ? { error: vaeLab.error } : results,
      webgpu
    },
    null,
    2
  )
)
