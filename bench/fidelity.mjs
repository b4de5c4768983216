// `npm run bench:fidelity`: the same config trained by VAE Lab and by the independent PyTorch
// implementation (bench/pytorch_vae.py), 1 epoch of full MNIST, latent 2 and 5, three seeds each.
// Prints test -ELBO per run, the means and their difference (issue 3 asks for at most 2 nats).
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PYTHON = process.env.VAE_LAB_TORCH_PYTHON ?? '/usr/bin/python3'
const seeds = (process.env.SEEDS ?? '1,2,3').split(',').map(Number)
const latents = (process.env.LATENTS ?? '2,5').split(',').map(Number)
const epochs = process.env.EPOCHS ?? '1'
const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'vae-lab-fidelity-')), 'runs.sqlite')

function json(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length
const rows = []
for (const latent of latents) {
  const ours = []
  const torch = []
  for (const seed of seeds) {
    const [run] = json(process.execPath, [
      'bin/vae-lab.js',
      'train',
      '--latent',
      String(latent),
      '--epochs',
      epochs,
      '--seed',
      String(seed),
      '--workers',
      '1',
      '--json',
      '--db',
      db
    ])
    ours.push(run.test_nelbo)
    const t = json(PYTHON, [
      'bench/pytorch_vae.py',
      '--latent',
      String(latent),
      '--epochs',
      epochs,
      '--seed',
      String(seed),
      '--init',
      'glorot'
    ])
    torch.push(t.test_nelbo)
  }
  rows.push({
    latent,
    epochs: Number(epochs),
    seeds,
    vae_lab: ours,
    pytorch: torch,
    vae_lab_mean: mean(ours),
    pytorch_mean: mean(torch),
    difference: mean(ours) - mean(torch)
  })
}
console.log(
  JSON.stringify(
    { config: 'MNIST, Adam 1e-3, batch 100, 500 hidden, glorot init, grey pixels', rows },
    null,
    2
  )
)
