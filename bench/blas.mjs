#!/usr/bin/env node
// The native kernels' ablation and where a training step's time goes (784-500-20, batch 100, Adam,
// one BLAS thread), with the real trainer and training step from out/node. Prints JSON.
//
//   throughput  img/s of trainVae on MNIST in a fresh process per variant: stock wasm; + BLAS
//               matMul and native elementwise kernels (tfjs's Adam, no fused kernels); + the fused
//               optimiser; + the fused kernels (dense, loss terms: the default);
//   breakdown   one step of the default, split into its parts in ms: GEMMs, the fused passes,
//               the remaining stock kernels, the optimiser update, batch assembly and the rest
//               (tfjs's engine: tape, tidy, tensor bookkeeping, random draws in JS).
//
// Usage: npm run build:node && node bench/blas.mjs [trainImages=10000] [--threads=1] [--steps=300]
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(path.join(root, 'package.json'))
const out = (p) => path.join(root, 'out', 'node', p)
const args = process.argv.slice(2)
const opt = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt
const threads = Number(opt('threads', 1))
const steps = Number(opt('steps', 300))
const images = Number(args.find((a) => /^\d+$/.test(a)) ?? 10000)
const mode = opt('mode', undefined)

const VARIANTS = {
  stock: 'plain wasm (transpose-free matMul gradient)',
  blas: 'BLAS matMul + native elementwise kernels, tfjs Adam, no fused kernels',
  'blas+adam': '... + fused Adam/Adagrad',
  fused: '... + fused dense layers and loss terms (the default)'
}

/** The trainer's environment for a variant, as initBackend would build it. */
async function setup(which) {
  const tf = require('@tensorflow/tfjs-core')
  const { initBackend } = require(out('core/backend/backends.js'))
  const blas = require(out('core/backend/blasKernels.js'))
  const dense = require(out('core/model/dense.js'))
  const fused = require(out('core/backend/fusedKernels.js'))
  const env = await initBackend('wasm')
  let info = null
  if (which !== 'stock') {
    const load = blas.loadBlasAddon()
    if (!load.ok) return { error: load.reason }
    blas.installBlasKernels(load.addon, { threads, fused: which === 'fused' })
    info = load.addon.info()
    // Dense layers fuse through the backend's MatMul.dense, the loss terms through the kernels.
    env.matMul = which === 'fused' ? fused.blasMatMul : dense.stockMatMul
    // The trainer fuses the optimiser exactly when the backend hands it the add-on.
    env.blas = which === 'blas' ? null : load.addon
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
    what: VARIANTS[which],
    imgPerSec: Math.max(...rates.slice(1)),
    epochs: rates,
    trainNelbo: loss,
    blas: s.info
  }
}

const GEMM = /^(BatchMatMul|VaeLabBlasDense)/
const fix = (v) => +v.toFixed(3)

/** The default's step on real shuffled MNIST batches, each part timed (wall and CPU). */
async function breakdown() {
  const s = await setup('fused')
  if (s.error) return { mode: 'fused', error: s.error }
  const { tf, env } = s
  const { createVaeModel } = require(out('core/model/vaeModel.js'))
  const { TrainConfigSchema } = require(out('common/contract.js'))
  const { createOptimizer } = require(out('core/train/optimizers.js'))
  const { createTrainStep } = require(out('core/train/trainStep.js'))
  const { loadDataset, builtinMnistInfo } = require(out('core/data/dataset.js'))
  const { fillBatch } = require(out('core/data/pixels.js'))
  const R = require(out('core/train/random.js'))
  const train = loadDataset(builtinMnistInfo()).train
  const order = R.shuffleInPlace(R.range(train.count), R.mulberry32(1))
  const model = createVaeModel({ arch: 'mlp', hidden: [500], latentDim: 20 }, 'torch', 1, env)
  const optimizer = createOptimizer({ optimizer: 'adam' }, env.blas)
  const cfg = TrainConfigSchema.parse({ latentDim: 20 })
  const step = createTrainStep(cfg, model, optimizer)
  const x = new Float32Array(100 * 784)
  let b = 0
  const oneStep = async (i) => {
    fillBatch(train, order, (b++ % 600) * 100, x)
    await step(x, i)
  }
  for (let i = 0; i < 50; i++) await oneStep(i)
  const cpuMs = () => {
    const c = process.cpuUsage()
    return (c.user + c.system) / 1000
  }
  // Plain steps first: the timers below add their own overhead.
  let t = performance.now()
  let c = cpuMs()
  for (let i = 0; i < steps; i++) await oneStep(i)
  const stepMs = (performance.now() - t) / steps
  const stepCpuMs = (cpuMs() - c) / steps
  // Then every kernel, the optimiser update and the batch assembly wrapped with a timer.
  const parts = new Map()
  // CPU time (getrusage) as well as wall time: on a shared machine wall time also counts the
  // time slices other processes get, CPU time only this process's work.
  const timed = (key, f) =>
    function (...a) {
      const t0 = performance.now()
      const c0 = process.cpuUsage()
      try {
        return f.apply(this, a)
      } finally {
        const d = process.cpuUsage(c0)
        const e = parts.get(key) ?? { ms: 0, cpuMs: 0, calls: 0 }
        e.ms += performance.now() - t0
        e.cpuMs += (d.user + d.system) / 1000
        e.calls++
        parts.set(key, e)
      }
    }
  for (const k of tf.getKernelsForBackend('wasm')) {
    tf.unregisterKernel(k.kernelName, 'wasm')
    tf.registerKernel({ ...k, kernelFunc: timed(k.kernelName, k.kernelFunc) })
  }
  optimizer.applyGradients = timed('optimiser update (fused Adam)', optimizer.applyGradients)
  const fill = timed('batch assembly (fillBatch)', fillBatch)
  t = performance.now()
  c = cpuMs()
  for (let i = 0; i < steps; i++) {
    fill(train, order, (b++ % 600) * 100, x)
    await step(x, i)
  }
  const wrapped = { ms: (performance.now() - t) / steps, cpuMs: (cpuMs() - c) / steps }
  const table = (clock) => {
    const per = (e) => e[clock] / steps
    const sum = (pred) => [...parts].filter(([k]) => pred(k)).reduce((a, [, e]) => a + per(e), 0)
    // Kernels the optimiser runs itself are inside its own timer.
    const gemm = sum((k) => GEMM.test(k))
    const fusedPasses = sum((k) => k.startsWith('VaeLab') && !GEMM.test(k))
    const adam = sum((k) => k.startsWith('optimiser'))
    const batch = sum((k) => k.startsWith('batch'))
    const stockKernels = sum((k) => !k.startsWith('VaeLab') && !GEMM.test(k) && /^[A-Z]/.test(k))
    return {
      'GEMMs (sgemm: matMul and fused dense layers)': fix(gemm),
      'fused passes (bias/tanh gradients, Bernoulli, KL, reparameterisation)': fix(fusedPasses),
      'other tfjs kernels (Add, Mean, Pack, Identity, ...)': fix(stockKernels),
      'optimiser update (fused Adam)': fix(adam),
      'batch assembly (fillBatch)': fix(batch),
      'tfjs engine and JS (tape, tidy, tensors, random draws)': fix(
        wrapped[clock] - gemm - fusedPasses - stockKernels - adam - batch
      ),
      total: fix(wrapped[clock])
    }
  }
  const calls = [...parts].filter(([k]) => /^[A-Z]/.test(k)).reduce((a, [, e]) => a + e.calls, 0)
  return {
    mode: 'fused',
    stepMs: fix(stepMs),
    stepCpuMs: fix(stepCpuMs),
    imgPerSec: Math.round((100 * 1000) / stepMs),
    kernelsPerStep: calls / steps,
    partsCpuMs: table('cpuMs'),
    partsWallMs: table('ms'),
    timerOverheadMs: fix(wrapped.ms - stepMs),
    kernels: [...parts]
      .map(([name, e]) => ({
        name,
        cpuMsPerStep: fix(e.cpuMs / steps),
        msPerStep: fix(e.ms / steps),
        callsPerStep: e.calls / steps
      }))
      .sort((a, b) => b.cpuMsPerStep - a.cpuMsPerStep)
      .slice(0, 25)
  }
}

/**
 * Steps of the default on 1 and 2 threads in alternating blocks (the same load for both), and
 * what the tuner (VAE_LAB_BLAS_THREADS=auto) settles on over 1,500 steps.
 */
async function threads2() {
  const s = await setup('fused')
  if (s.error) return { mode: 'threads', error: s.error }
  const { env } = s
  const { createVaeModel } = require(out('core/model/vaeModel.js'))
  const { TrainConfigSchema } = require(out('common/contract.js'))
  const { createOptimizer } = require(out('core/train/optimizers.js'))
  const { createTrainStep } = require(out('core/train/trainStep.js'))
  const plan = require(out('core/backend/threadPlan.js'))
  const model = createVaeModel({ arch: 'mlp', hidden: [500], latentDim: 20 }, 'torch', 1, env)
  const optimizer = createOptimizer({ optimizer: 'adam' }, env.blas)
  const cfg = TrainConfigSchema.parse({ latentDim: 20 })
  const step = createTrainStep(cfg, model, optimizer)
  const x = new Float32Array(100 * 784).map((_, i) => (i % 5 === 0 ? 0.7 : 0))
  for (let i = 0; i < 30; i++) await step(x, i)
  const blocks = { 1: [], 2: [] }
  for (let r = 0; r < 10; r++)
    for (const t of [1, 2]) {
      env.blas.setThreads(t)
      const t0 = performance.now()
      for (let i = 0; i < 30; i++) await step(x, i)
      blocks[t].push((performance.now() - t0) / 30)
    }
  const med = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]
  plan.setThreadBudget(env.blas, 2)
  const t0 = performance.now()
  for (let i = 0; i < 1500; i++) await step(x, i)
  const tuned = (performance.now() - t0) / 1500
  const chosen = plan.threadPlanState().threads
  plan.setThreadBudget(env.blas, 1)
  return {
    mode: 'threads',
    msPerStep1: fix(med(blocks[1])),
    msPerStep2: fix(med(blocks[2])),
    speedup2: fix(med(blocks[1]) / med(blocks[2])),
    tunedMsPerStep: fix(tuned),
    tunerChose: chosen
  }
}

if (mode) {
  const [kind, which] = mode.split(':')
  const result =
    kind === 'rate'
      ? await throughput(which)
      : kind === 'threads'
        ? await threads2()
        : await breakdown()
  process.stdout.write(JSON.stringify(result))
} else {
  const run = (m) => {
    const r = spawnSync(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        String(images),
        `--threads=${threads}`,
        `--steps=${steps}`,
        `--mode=${m}`
      ],
      { encoding: 'utf8', timeout: 600_000 }
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
    throughput: Object.keys(VARIANTS).map((m) => run(`rate:${m}`)),
    breakdown: run('profile:fused')
  }
  console.log(JSON.stringify(result, null, 2))
}
