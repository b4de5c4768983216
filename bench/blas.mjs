#!/usr/bin/env node
// Images/s of the paper's VAE (784-500-20, batch 100, Adam, one BLAS thread) with the real trainer
// from out/node: stock wasm, wasm + native BLAS kernels, and BLAS + the fused optimiser, each in a
// fresh process; then a per-kernel time breakdown of one step. Prints JSON.
// Usage: npm run build:node && node bench/blas.mjs [trainImages=10000] [--threads=1]
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(path.join(root, 'package.json'))
const out = (p) => path.join(root, 'out', 'node', p)
const args = process.argv.slice(2)
const threads = Number(
  (args.find((a) => a.startsWith('--threads=')) ?? '--threads=1').split('=')[1]
)
const images = Number(args.find((a) => /^\d+$/.test(a)) ?? 10000)
const mode = args.find((a) => a.startsWith('--mode='))?.split('=')[1]

/** stock: plain wasm; blas: native kernels with tfjs's Adam; fused: native kernels and fused Adam. */
async function setup(which) {
  const tf = require('@tensorflow/tfjs-core')
  const { initBackend } = require(out('core/backend/backends.js'))
  const blas = require(out('core/backend/blasKernels.js'))
  const dense = require(out('core/model/dense.js'))
  const env = await initBackend('wasm')
  let info = null
  if (which !== 'stock') {
    const load = blas.loadBlasAddon()
    if (!load.ok) return { error: load.reason }
    blas.installBlasKernels(load.addon, { threads })
    info = load.addon.info()
    env.matMul = dense.stockMatMul
    // The trainer fuses the optimiser exactly when the backend hands it the add-on.
    env.blas = which === 'fused' ? load.addon : null
  }
  return { tf, env, info }
}

async function throughput(which) {
  const s = await setup(which)
  if (s.error) return { mode: which, error: s.error }
  const { loadDataset, builtinMnistInfo } = require(out('core/data/dataset.js'))
  const { trainVae } = require(out('core/train/trainer.js'))
  const { TrainConfigSchema } = require(out('common/contract.js'))
  const data = loadDataset(builtinMnistInfo())
  const cfg = TrainConfigSchema.parse({
    latentDim: 20,
    epochs: 3,
    limitTrain: images,
    limitTest: 500,
    optimizer: 'adam'
  })
  const rates = []
  let loss = null
  await trainVae(cfg, data, s.env, {
    onEpoch: (m) => {
      rates.push(Math.round(m.imgPerSec))
      loss = m.train.nelbo
    }
  })
  // The first epoch includes warm-up (JIT, heap growth); report the best of the rest.
  return {
    mode: which,
    imgPerSec: Math.max(...rates.slice(1)),
    epochs: rates,
    trainNelbo: loss,
    blas: s.info
  }
}

/** Per-kernel wall time over steps shaped like the trainer's, kernels wrapped with a timer. */
async function breakdown(which) {
  const s = await setup(which)
  if (s.error) return { mode: which, error: s.error }
  const { tf, env } = s
  const vae = require(out('core/model/vae.js'))
  const loss = require(out('core/model/loss.js'))
  const params = vae.createVaeParams({ inputDim: 784, hidden: 500, latentDim: 20 }, 'paper', 1)
  const vars = vae.paramList(params)
  const opt = require(out('core/train/optimizers.js')).createOptimizer(
    { optimizer: 'adam' },
    env.blas
  )
  let seed = 1
  const x = new Float32Array(100 * 784).map(() =>
    ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % 5 === 0 ? 1 : 0
  )
  const step = (i) =>
    tf.tidy(() => {
      const xb = tf.tensor2d(x, [100, 784])
      opt.minimize(
        () => {
          const { mu, logVar } = vae.encode(params, xb, env.matMul)
          const z = vae.reparameterize(mu, logVar, tf.randomNormal([100, 20], 0, 1, 'float32', i))
          return tf.add(
            tf.mean(loss.bernoulliRec(vae.decode(params, z, env.matMul), xb)),
            tf.mean(loss.gaussianKl(mu, logVar))
          )
        },
        false,
        vars
      )
    })
  const N = 200
  for (let i = 0; i < 50; i++) step(i)
  let t = performance.now()
  for (let i = 0; i < N; i++) step(i)
  const stepMs = (performance.now() - t) / N
  const times = new Map()
  for (const k of tf.getKernelsForBackend('wasm')) {
    const f = k.kernelFunc
    tf.unregisterKernel(k.kernelName, 'wasm')
    tf.registerKernel({
      ...k,
      kernelFunc: (a) => {
        const t0 = performance.now()
        const r = f(a)
        const dt = performance.now() - t0
        let key = k.kernelName
        if (key === 'BatchMatMul') {
          const sh = (t, tr) => `${t.shape.join('x')}${tr ? 'ᵀ' : ''}`
          key += ` ${sh(a.inputs.a, a.attrs.transposeA)} @ ${sh(a.inputs.b, a.attrs.transposeB)}`
        }
        const e = times.get(key) ?? { ms: 0, calls: 0 }
        e.ms += dt
        e.calls++
        times.set(key, e)
        return r
      }
    })
  }
  for (let i = 0; i < N; i++) step(i)
  const kernels = [...times]
    .map(([name, e]) => ({ name, msPerStep: +(e.ms / N).toFixed(3), callsPerStep: e.calls / N }))
    .sort((a, b) => b.msPerStep - a.msPerStep)
  const kernelMs = kernels.reduce((a, k) => a + k.msPerStep, 0)
  const matMulMs = kernels
    .filter((k) => k.name.startsWith('BatchMatMul'))
    .reduce((a, k) => a + k.msPerStep, 0)
  return {
    mode: which,
    stepMs: +stepMs.toFixed(3),
    imgPerSec: Math.round((100 * 1000) / stepMs),
    kernelMs: +kernelMs.toFixed(3),
    matMulMs: +matMulMs.toFixed(3),
    // Engine bookkeeping (tape, tidy, tensor objects) plus the optimiser's JS: the step minus kernels.
    outsideKernelsMs: +(stepMs - kernelMs).toFixed(3),
    kernelsPerStep: kernels.reduce((a, k) => a + k.callsPerStep, 0),
    kernels: kernels.slice(0, 25)
  }
}

if (mode) {
  const [kind, which] = mode.split(':')
  const result = kind === 'rate' ? await throughput(which) : await breakdown(which)
  process.stdout.write(JSON.stringify(result))
} else {
  const run = (m) => {
    const r = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), String(images), `--threads=${threads}`, `--mode=${m}`],
      {
        encoding: 'utf8',
        timeout: 600_000
      }
    )
    try {
      return JSON.parse(r.stdout)
    } catch {
      return {
        mode: m,
        error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' ')
      }
    }
  }
  const result = {
    model: '784-500-20, batch 100, Adam, wasm backend',
    trainImages: images,
    blasThreads: threads,
    throughput: ['stock', 'blas', 'fused'].map((m) => run(`rate:${m}`)),
    breakdown: ['blas', 'fused'].map((m) => run(`profile:${m}`))
  }
  console.log(JSON.stringify(result, null, 2))
}
