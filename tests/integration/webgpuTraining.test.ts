// Training, evaluation and checkpoints on webgpu (Dawn; in CI Mesa's llvmpipe, a software Vulkan
// GPU at about 0.5 s per paper-sized step): small models and subsets keep this file to seconds.
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import {
  TrainConfigSchema,
  type EpochMetrics,
  type TrainConfigInput
} from '../../src-main/common/contract'
import type { ActiveBackend } from '../../src-main/core/backend/backends'
import { webGpuInternals } from '../../src-main/core/backend/webgpuInternals'
import { builtinMnistInfo, loadDataset, type Dataset } from '../../src-main/core/data/dataset'
import { activeUnits, evaluateNelbo, iwaeBound } from '../../src-main/core/model/evaluate'
import { figureData } from '../../src-main/core/model/figureData'
import { createVaeModel, disposeModel, modelVariables } from '../../src-main/core/model/vaeModel'
import { assignParams } from '../../src-main/core/train/checkpoint'
import { createOptimizer } from '../../src-main/core/train/optimizers'
import { trainVae, type TrainOutcome } from '../../src-main/core/train/trainer'
import { createTrainStep } from '../../src-main/core/train/trainStep'
import { useBackend } from '../helpers/tf'
import { webGpuHere } from '../helpers/webgpu'

const gpu = await webGpuHere('webgpuTraining.test.ts')

// Real MNIST, a few hundred images: 784-32-2 at batch 50 is milliseconds per step even on llvmpipe.
const mnist = loadDataset(builtinMnistInfo())
const data: Dataset = mnist
const config = (over: Partial<TrainConfigInput> = {}) =>
  TrainConfigSchema.parse({
    latentDim: 2,
    hidden: 32,
    batchSize: 50,
    epochs: 2,
    limitTrain: 300,
    limitTest: 200,
    seed: 11,
    ...over
  })

async function train(
  backend: 'cpu' | 'wasm' | 'webgpu',
  over: Partial<TrainConfigInput> = {},
  resume?: { epoch: number; tensors: Uint8Array }
) {
  const env = await useBackend(backend)
  const epochs: EpochMetrics[] = []
  const checkpoints: Uint8Array[] = []
  const outcome = await trainVae(
    config(over),
    data,
    env,
    {
      onEpoch: (m, c) => {
        epochs.push(m)
        checkpoints.push(c)
      }
    },
    resume
  )
  return { outcome, epochs, checkpoints }
}

/** Float32 noise: webgpu sums in another order than cpu, so the last digits may differ. */
function close(a: number, b: number, what: string, rel = 1e-5) {
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(rel * (1 + Math.abs(b)))
}

function sameRun(a: TrainOutcome, b: TrainOutcome, rel = 1e-5) {
  const ea = a.evaluation!
  const eb = b.evaluation!
  close(ea.test.nelbo, eb.test.nelbo, 'test -ELBO', rel)
  close(ea.test.rec, eb.test.rec, 'test rec', rel)
  close(ea.test.kl, eb.test.kl, 'test KL', rel)
  ea.testPerDigit.forEach((d, i) => close(d!.nelbo, eb.testPerDigit[i]!.nelbo, `digit ${i}`, rel))
  expect(ea.activeUnits.active).toBe(eb.activeUnits.active)
  ea.activeUnits.variances.forEach((v, j) =>
    close(v, eb.activeUnits.variances[j], `variance ${j}`, 1e-4)
  )
}

describe.skipIf(gpu.skip)('training on webgpu', () => {
  it('reaches the test -ELBO of cpu and wasm on the same seed, with evaluation and figures alike', async () => {
    const onCpu = await train('cpu')
    const onWasm = await train('wasm')
    const onGpu = await train('webgpu')
    sameRun(onGpu.outcome, onWasm.outcome)
    expect(onGpu.outcome.status).toBe('completed')
    onGpu.epochs.forEach((e, i) => {
      close(e.train.nelbo, onCpu.epochs[i].train.nelbo, `epoch ${i + 1} train -ELBO`)
      close(e.test.nelbo, onCpu.epochs[i].test.nelbo, `epoch ${i + 1} test -ELBO`)
    })
    sameRun(onGpu.outcome, onCpu.outcome)
    const fa = onGpu.outcome.figures!
    const fb = onCpu.outcome.figures!
    expect(fa.recon.indices).toEqual(fb.recon.indices)
    // Decoder means as bytes: a float difference may round one grey level the other way.
    const bytesOff = (x: Uint8Array, y: Uint8Array) =>
      x.reduce((worst, v, i) => Math.max(worst, Math.abs(v - y[i])), 0)
    expect(bytesOff(fa.recon.reconstructions, fb.recon.reconstructions)).toBeLessThanOrEqual(1)
    expect(bytesOff(fa.manifold!.images, fb.manifold!.images)).toBeLessThanOrEqual(1)
    fa.scatter.mu.forEach((v, i) => close(v, fb.scatter.mu[i], `scatter mu ${i}`, 1e-4))
  })

  it('trains with weight decay and Adagrad like cpu (an AddN over all ten parameters)', async () => {
    const over = { epochs: 1, weightDecay: 0.01, optimizer: 'adagrad' as const, lr: 0.01 }
    const onCpu = await train('cpu', over)
    const onGpu = await train('webgpu', over)
    close(onGpu.epochs[0].train.nelbo, onCpu.epochs[0].train.nelbo, 'train -ELBO', 1e-4)
    close(onGpu.epochs[0].test.nelbo, onCpu.epochs[0].test.nelbo, 'test -ELBO', 1e-4)
  })

  it('uploads each epoch once, and reads back one loss per batch', async () => {
    const env = await useBackend('webgpu')
    const backend = webGpuInternals()
    const writes: number[][] = []
    let reads = 0
    let training = true
    const write = backend.write.bind(backend)
    const read = backend.read.bind(backend)
    backend.write = (values, shape, dtype) => {
      // Host data of batch shape (kernel outputs are writes without values; W5 is [32, 784]).
      if (training && values && shape.length === 2 && shape[1] === 784 && shape[0] % 50 === 0)
        writes.push(shape)
      return write(values, shape, dtype)
    }
    backend.read = (dataId) => {
      if (training) reads++
      return read(dataId)
    }
    const cfg = config({ epochs: 1 })
    try {
      await trainVae(cfg, data, env, {
        onBatch: (p) => {
          if (p.batch === p.batches) training = false // what follows is the epoch's evaluation
        }
      })
    } finally {
      backend.write = write
      backend.read = read
    }
    expect(writes).toEqual([[300, 784]])
    expect(reads).toBe(300 / 50)
  })

  it('resumes on cpu from a webgpu checkpoint, and on webgpu from a cpu one, where an uninterrupted run ends', async () => {
    const whole = await train('cpu', { epochs: 2 })
    const firstOnGpu = await train('webgpu', { epochs: 1 })
    const gpuThenCpu = await train(
      'cpu',
      { epochs: 2 },
      { epoch: 1, tensors: firstOnGpu.checkpoints[0] }
    )
    const firstOnCpu = await train('cpu', { epochs: 1 })
    const cpuThenGpu = await train(
      'webgpu',
      { epochs: 2 },
      { epoch: 1, tensors: firstOnCpu.checkpoints[0] }
    )
    for (const resumed of [gpuThenCpu, cpuThenGpu]) {
      expect(resumed.epochs.map((e) => e.epoch)).toEqual([2])
      close(resumed.epochs[0].train.nelbo, whole.epochs[1].train.nelbo, 'epoch 2 train -ELBO')
      sameRun(resumed.outcome, whole.outcome)
    }
  })

  it('evaluates the IWAE bound on the GPU to the cpu value', async () => {
    const { outcome } = await train('cpu', { epochs: 1 })
    const test = { ...mnist.test, count: 100 }
    const bound = async (backend: 'cpu' | 'webgpu') => {
      const env: ActiveBackend = await useBackend(backend)
      const m = createVaeModel({ arch: 'mlp', hidden: [32], latentDim: 2 }, 'glorot', 1, env)
      assignParams(m.params, outcome.weights!, 'weights')
      const dispatches = countPrograms()
      const r = {
        iwae: await iwaeBound(m, test, 20, 3),
        elbo: await evaluateNelbo(m, test, 3),
        active: await activeUnits(m, test),
        figures: await figureData(m, test),
        programs: dispatches.stop()
      }
      disposeModel(m)
      return r
    }
    const a = await bound('webgpu')
    const b = await bound('cpu')
    expect(a.programs).toBeGreaterThan(0) // the fused dense kernel ran: evaluation is on the GPU
    close(a.iwae.nll, b.iwae.nll, 'IWAE -log p(x)')
    close(a.elbo.overall.nelbo, b.elbo.overall.nelbo, 'ELBO')
    expect(a.active.active).toBe(b.active.active)
  })

  it('keeps tensors and GPU memory flat over many steps', async () => {
    const env = await useBackend('webgpu')
    const cfg = {
      batchSize: 10,
      latentDim: 2,
      samples: 1,
      beta: 1,
      weightDecay: 0,
      objective: 'elbo' as const
    }
    const model = createVaeModel({ arch: 'mlp', hidden: [8], latentDim: 2 }, 'glorot', 1, env)
    const optimizer = createOptimizer({ optimizer: 'adam', lr: 1e-3 }, null, true)
    const step = createTrainStep(cfg, model, optimizer)
    const x = tf.tensor2d(new Float32Array(10 * 784).fill(0.5), [10, 784])
    const sample = () => ({ ...(tf.memory() as tf.MemoryInfo & { numBytesInGPU: number }) })
    try {
      for (let i = 1; i <= 50; i++) await step(x, i)
      const warm = sample()
      for (let i = 51; i <= 300; i++) await step(x, i)
      const after = sample()
      expect(after.numTensors).toBe(warm.numTensors)
      expect(after.numBytesInGPU).toBe(warm.numBytesInGPU)
      expect(modelVariables(model).every((v) => !v.isDisposed)).toBe(true)
    } finally {
      x.dispose()
      disposeModel(model)
      optimizer.dispose()
    }
  })
})

/** Counts this project's GEMM programs run on the webgpu backend until stop(). */
function countPrograms(): { stop(): number } {
  if (tf.getBackend() !== 'webgpu') return { stop: () => 0 }
  const backend = webGpuInternals()
  const run = backend.runWebGPUProgram.bind(backend)
  let n = 0
  backend.runWebGPUProgram = (program, ...rest) => {
    if (program.shaderKey.startsWith('vaeLabGemm')) n++
    return run(program, ...rest)
  }
  return {
    stop: () => {
      backend.runWebGPUProgram = run
      return n
    }
  }
}
