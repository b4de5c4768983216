// Speed of the model variants of issue 18 (IWAE k=5, --hidden 200,200, the conv VAE) on every
// backend, against bench/pytorch_vae.py with the same model measured in the same run (before and
// after VAE Lab, averaged, as bench/run.mjs does for the paper's model). Latent 20, batch 100, Adam.
// `npm run bench` includes it; `node bench/modelVariants.mjs` prints it alone.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PYTHON = process.env.VAE_LAB_TORCH_PYTHON ?? '/usr/bin/python3'

const MODELS = {
  'iwae-k5': { torch: ['--objective', 'iwae', '--k', '5'], torchSteps: 100 },
  'hidden-200-200': { torch: ['--hidden', '200,200'], torchSteps: 300 },
  conv: { torch: ['--arch', 'conv'], torchSteps: 40 }
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 })
  if (r.status !== 0)
    return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop() }
  return JSON.parse(r.stdout)
}

function pytorch(model) {
  if (!existsSync(PYTHON)) return { error: `${PYTHON} not found` }
  const m = MODELS[model]
  return run(PYTHON, [
    path.join('bench', 'pytorch_vae.py'),
    ...['--bench-steps', String(m.torchSteps), '--threads', '1', '--latent', '20'],
    ...m.torch
  ])
}

export function benchModelVariants({ steps = 100, maxSeconds = 15 } = {}) {
  const names = Object.keys(MODELS)
  const before = Object.fromEntries(names.map((m) => [m, pytorch(m)]))
  const vaeLab = run(process.execPath, [
    'bin/vae-lab.js',
    ...['bench', '--json', '--models', names.join(','), '--steps', String(steps)],
    ...['--max-seconds', String(maxSeconds)]
  ])
  const after = Object.fromEntries(names.map((m) => [m, pytorch(m)]))
  const torch = Object.fromEntries(
    names.map((m) => {
      const rates = [before[m], after[m]].filter((t) => typeof t.img_per_s === 'number')
      const mean = rates.length ? rates.reduce((s, t) => s + t.img_per_s, 0) / rates.length : null
      return [
        m,
        {
          img_per_s: mean && Math.round(mean),
          runs: rates.map((t) => Math.round(t.img_per_s)),
          error: before[m].error
        }
      ]
    })
  )
  const results = (vaeLab.results ?? []).map((r) => {
    const t = torch[r.variant]?.img_per_s
    return {
      model: r.variant,
      backend: r.backend,
      available: r.available,
      imgPerSec: r.imgPerSec ? Math.round(r.imgPerSec) : null,
      steps: r.steps,
      pytorch_img_per_s: t ?? null,
      vs_pytorch: r.imgPerSec && t ? +(r.imgPerSec / t).toFixed(3) : null,
      ...(r.available ? {} : { detail: r.detail })
    }
  })
  return {
    models: {
      'iwae-k5': '784-500-20 tanh, IWAE objective with k = 5',
      'hidden-200-200': '784-200-200-20 tanh, ELBO',
      conv: "the conv VAE of TensorFlow's CVAE tutorial, latent 20, ELBO"
    },
    batch: 100,
    optimizer: 'adam',
    threads: 1,
    pytorch: torch,
    vae_lab: vaeLab.error ? { error: vaeLab.error } : results
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  console.log(JSON.stringify(benchModelVariants(), null, 2))
