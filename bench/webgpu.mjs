// `npm run bench:webgpu` (and part of `npm run bench`): training img/s on webgpu against the best
// CPU path on this machine, at 784-500-20 with batch 100, 1,000 and 10,000 and a wide model
// (hidden 2,000), each on a fresh worker thread. Prints one JSON object on stdout.
//
// On a software adapter (llvmpipe: a GPU emulated on the CPU, ~0.5 s per paper-sized step) the
// default is quick (about a minute): few steps, batch 100 only (--full runs the rest). Its numbers
// check the code path, not GPU speed. --memory-steps N adds a memory check of N tiny steps.
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const out = (f) => path.join(root, 'out', 'node', f)
const { probeBackend, selectBackend, initBackend } = require(out('core/backend/backends.js'))
const { measureInWorker, workloadLabel, CALIBRATION_STEPS } = require(
  out('core/backend/calibration.js')
)

const args = process.argv.slice(2)
const full = args.includes('--full')
const memoryAt = args.indexOf('--memory-steps')
const memorySteps = memoryAt >= 0 ? Number(args[memoryAt + 1]) : 0

// Batches of 1,000 and more take seconds to minutes per step on a software adapter: --full only.
const SHAPES = [
  { hidden: 500, latentDim: 20, batchSize: 100 },
  { hidden: 500, latentDim: 20, batchSize: 1000 },
  { hidden: 500, latentDim: 20, batchSize: 10000 },
  { hidden: 2000, latentDim: 20, batchSize: 100 },
  { hidden: 2000, latentDim: 20, batchSize: 1000 },
  { hidden: 2000, latentDim: 20, batchSize: 10000 }
].map((s) => ({ ...s, optimizer: 'adam', big: s.batchSize >= 1000 }))

const rate = (m) => (m.imgPerSec === null ? null : Math.round(m.imgPerSec))
const ratio = (a, b) => (a && b ? +(a / b).toFixed(3) : null)

/** N tiny training steps on webgpu in this process: tensors and GPU bytes before and after. */
async function memoryCheck(steps) {
  const tf = require('@tensorflow/tfjs-core')
  const env = await initBackend('webgpu')
  const { createVaeModel, disposeModel } = require(out('core/model/vaeModel.js'))
  const { createOptimizer } = require(out('core/train/optimizers.js'))
  const { createTrainStep } = require(out('core/train/trainStep.js'))
  const cfg = {
    batchSize: 10,
    latentDim: 2,
    samples: 1,
    beta: 1,
    weightDecay: 0,
    objective: 'elbo'
  }
  const model = createVaeModel({ arch: 'mlp', hidden: [8], latentDim: 2 }, 'glorot', 1, env)
  const opt = createOptimizer({ optimizer: 'adam' }, null, true)
  const step = createTrainStep(cfg, model, opt)
  const x = tf.tensor2d(new Float32Array(10 * 784).fill(0.5), [10, 784])
  const snap = () => {
    const m = tf.memory()
    return {
      tensors: m.numTensors,
      bytesInGpu: m.numBytesInGPU,
      bytesAllocated: m.numBytesAllocatedInGPU
    }
  }
  for (let i = 1; i <= 50; i++) await step(x, i)
  const after50 = snap()
  const started = performance.now()
  for (let i = 51; i <= 50 + steps; i++) await step(x, i)
  const end = snap()
  x.dispose()
  disposeModel(model)
  opt.dispose()
  return {
    steps,
    ms_per_step: +((performance.now() - started) / steps).toFixed(2),
    after_50_steps: after50,
    [`after_${50 + steps}_steps`]: end,
    flat: after50.tensors === end.tensors && after50.bytesInGpu === end.bytesInGpu
  }
}

async function main() {
  const gpu = await probeBackend('webgpu')
  const cpu = await selectBackend('auto') // without a workload, auto never picks webgpu
  const report = {
    adapter: gpu.adapter ?? null,
    webgpu: gpu.detail,
    cpu_baseline: { backend: cpu.name, detail: cpu.reason },
    optimizer: 'adam',
    results: [],
    skipped: []
  }
  if (!gpu.available) {
    report.note = 'no WebGPU adapter here: nothing measured on webgpu'
    return report
  }
  const software = gpu.adapter?.software === true
  report.note = software
    ? 'software adapter (runs on the CPU): these numbers check the path, not GPU speed; quick default (3 timed steps, batch 100 only; --full for all)'
    : 'hardware adapter'
  const limits = software
    ? { ...CALIBRATION_STEPS, warmupSteps: 1, steps: 3, maxSeconds: 1, timeoutMs: 600_000 }
    : { ...CALIBRATION_STEPS, warmupSteps: 5, steps: 50, maxSeconds: 5, timeoutMs: 600_000 }
  for (const shape of SHAPES) {
    const label = workloadLabel(shape)
    if (software && shape.big && !full) {
      report.skipped.push(`${label}: software adapter (run with --full)`)
      continue
    }
    const fused = await measureInWorker('webgpu', shape, limits, 'fused')
    const stock = await measureInWorker('webgpu', shape, limits, 'stock')
    const base = await measureInWorker(cpu.name, shape, limits, 'fused')
    report.results.push({
      model: `784-${shape.hidden}-${shape.latentDim}`,
      batch: shape.batchSize,
      webgpu_img_per_s: rate(fused),
      webgpu_stock_kernels_img_per_s: rate(stock),
      [`${cpu.name}_img_per_s`]: rate(base),
      webgpu_vs_cpu: ratio(rate(fused), rate(base)),
      fused_vs_stock_kernels: ratio(rate(fused), rate(stock)),
      steps: { webgpu: fused.steps ?? null, stock: stock.steps ?? null, cpu: base.steps ?? null },
      errors: [fused.error, stock.error, base.error].filter(Boolean)
    })
  }
  if (memorySteps > 0) report.memory = await memoryCheck(memorySteps)
  return report
}

main().then(
  (r) => {
    console.log(JSON.stringify(r, null, 2))
    process.exit(0) // Dawn keeps the event loop alive once navigator.gpu is set (memory check)
  },
  (e) => {
    console.log(JSON.stringify({ error: String(e?.stack ?? e) }))
    process.exit(1)
  }
)
