#!/usr/bin/env node
// VAE Lab's side of the evaluation timings in `npm run bench` (bench/pytorch_eval.py is PyTorch's):
// the per-epoch test pass (-ELBO on the test set), the IWAE bound with k samples on a few test
// images, and the figure data plus active units, on one backend, in this process, with the
// real functions from out/node. Random weights: the work does not depend on them.
// Usage: node bench/evaluation.mjs [--backend=wasm-blas] [--k=5000] [--iwae-images=100] [--parts=elbo,iwae,figures]
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(path.join(root, 'package.json'))
const out = (p) => require(path.join(root, 'out', 'node', p))
const arg = (name, dflt) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt

const backendName = arg('backend', 'wasm-blas')
const k = Number(arg('k', 5000))
const iwaeImages = Number(arg('iwae-images', 100))
const parts = arg('parts', 'elbo,iwae,figures').split(',')

const { initBackend } = out('core/backend/backends.js')
const { builtinMnistInfo, loadDataset, headOf } = out('core/data/dataset.js')
const { createVaeModel, disposeModel } = out('core/model/vaeModel.js')
const { activeUnits, evaluateNelbo, iwaeBound } = out('core/model/evaluate.js')
const { figureData } = out('core/model/figureData.js')

const backend = await initBackend(backendName)
const test = loadDataset(builtinMnistInfo()).test
const model = createVaeModel({ arch: 'mlp', hidden: [500], latentDim: 20 }, 'torch', 1, backend)
await evaluateNelbo(model, headOf(test, 500), 1) // warm-up: JIT, heap growth

async function timed(fn) {
  const t = performance.now()
  const c = process.cpuUsage()
  const value = await fn()
  const d = process.cpuUsage(c)
  return { seconds: (performance.now() - t) / 1000, cpu_seconds: (d.user + d.system) / 1e6, value }
}

const result = {
  framework: 'vae-lab',
  backend: backend.name,
  detail: backend.detail,
  images: test.count
}
if (parts.includes('elbo'))
  result.elbo = await timed(async () => (await evaluateNelbo(model, test, 1)).overall.nelbo)
if (parts.includes('iwae'))
  result.iwae = {
    ...(await timed(async () => (await iwaeBound(model, headOf(test, iwaeImages), k, 1)).nll)),
    k,
    images: Math.min(iwaeImages, test.count)
  }
if (parts.includes('figures'))
  result.figures = await timed(async () => {
    await figureData(model, test)
    return (await activeUnits(model, test)).active
  })
disposeModel(model)
// Bounded memory: the wasm heap only grows (pitfalls.md §1), so its size now is its peak.
const tf = require('@tensorflow/tfjs-core')
result.wasm_heap_mb = +(tf.backend().wasm?.HEAPU8.byteLength / 2 ** 20).toFixed(1)
result.peak_rss_mb = +(process.resourceUsage().maxRSS / 1024).toFixed(1)
process.stdout.write(JSON.stringify(result) + '\n')
