// Speed of the model variants of issue 18 (IWAE k=5, --hidden 200,200, the conv VAE) on every
// backend, against bench/pytorch_vae.py with the same model measured in the same run (before and
// after VAE Lab, averaged, as bench/run.mjs does for the paper's model). Latent 20, batch 100, Adam.
// The steps are timed on synthetic data on every backend; training_on_mnist times the real command
// on MNIST against PyTorch's training loop, one thread each.
// `npm run bench` includes it; `node bench/modelVariants.mjs` prints it alone.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PYTHON = process.env.VAE_LAB_TORCH_PYTHON ?? '/usr/bin/python3'

const MODELS = {
  'iwae-k5': { torch: ['--objective', 'iwae', '--k', '5'], torchSteps: 100, images: 10000 },
  'hidden-200-200': { torch: ['--hidden', '200,200'], torchSteps: 300, images: 20000 },
  conv: { torch: ['--arch', 'conv'], torchSteps: 40, images: 2000 }
}
// The options are the same words on both sides.
const vaeLabFlags = (model) => MODELS[model].torch

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: env ? { ...process.env, ...env } : process.env
  })
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

/**
 * What a user runs: `vae-lab train` on the first `images` MNIST images, 1 epoch, one BLAS thread,
 * and pytorch_vae.py's training loop on the same images; img/s each reports for its own loop.
 * The synthetic steps above use random pixels, on which IWAE's weights and their gradients are
 * far from a trained model's: VAE Lab's IWAE step takes 2x longer there than on MNIST.
 */
export function realTraining(model) {
  const m = MODELS[model]
  const common = ['--latent', '20', '--epochs', '1', '--limit-train', String(m.images)]
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vae-lab-variants-'))
  const torchRun = () =>
    existsSync(PYTHON)
      ? run(PYTHON, [
          path.join('bench', 'pytorch_vae.py'),
          ...common,
          '--limit-test',
          '500',
          ...m.torch
        ])
      : { error: `${PYTHON} not found` }
  try {
    const before = torchRun()
    const vae = run(
      process.execPath,
      [
        ...['bin/vae-lab.js', 'train', ...common, '--limit-test', '500', ...vaeLabFlags(model)],
        ...['--workers', '1', '--json', '--db', path.join(dir, 'runs.sqlite')]
      ],
      { VAE_LAB_BLAS_THREADS: '1' }
    )
    const after = torchRun()
    const rates = [before, after].map((t) => t.img_per_s).filter((x) => typeof x === 'number')
    const torch = rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : null
    const mine = Array.isArray(vae) ? vae[0]?.img_per_s : null
    return {
      images: m.images,
      backend: Array.isArray(vae) ? vae[0]?.backend : null,
      vae_lab_img_per_s: mine ? Math.round(mine) : null,
      pytorch_img_per_s: torch && Math.round(torch),
      vs_pytorch: mine && torch ? +(mine / torch).toFixed(3) : null,
      ...(vae.error ? { error: vae.error } : {})
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
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
    vae_lab: vaeLab.error ? { error: vaeLab.error } : results,
    training_on_mnist: {
      what: 'vae-lab train vs pytorch_vae.py on the first N MNIST images, 1 epoch, one thread each, img/s of their own training loops',
      ...Object.fromEntries(names.map((m) => [m, realTraining(m)]))
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  console.log(JSON.stringify(benchModelVariants(), null, 2))
