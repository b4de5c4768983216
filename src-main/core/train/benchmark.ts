// Training throughput of the real training step on synthetic data: images per second for a
// given architecture and batch, time-bounded so slow backends finish quickly too.
import type { TrainConfig } from '../../common/contract'
import { IMAGE_SIZE } from '../data/dataset'
import { hiddenLayers } from '../model/vae'
import { createVaeModel, disposeModel } from '../model/vaeModel'
import { createOptimizer } from './optimizers'
import { mulberry32 } from './random'
import { createTrainStep } from './trainStep'
import type { TrainEnv } from './trainer'

export interface BenchmarkOptions {
  hidden: number | number[]
  latentDim: number
  arch?: TrainConfig['arch']
  objective?: TrainConfig['objective']
  /** Importance samples when the objective is 'iwae'. */
  k?: number
  batchSize: number
  optimizer: TrainConfig['optimizer']
  warmupSteps: number
  /** Stop after this many timed steps, or earlier once `maxSeconds` have passed (at least 3 steps). */
  steps: number
  maxSeconds: number
}

export const PAPER_BENCHMARK: BenchmarkOptions = {
  hidden: 500,
  latentDim: 20,
  batchSize: 100,
  optimizer: 'adam',
  warmupSteps: 10,
  steps: 300,
  maxSeconds: 10
}

export interface BenchmarkResult {
  imgPerSec: number
  steps: number
  seconds: number
}

export async function benchmarkTraining(
  env: TrainEnv,
  o: BenchmarkOptions = PAPER_BENCHMARK
): Promise<BenchmarkResult> {
  const cfg = {
    batchSize: o.batchSize,
    latentDim: o.latentDim,
    samples: 1,
    beta: 1,
    weightDecay: 0,
    objective: o.objective ?? 'elbo',
    k: o.objective === 'iwae' ? (o.k ?? 5) : undefined
  }
  const model = createVaeModel(
    { arch: o.arch ?? 'mlp', hidden: hiddenLayers(o.hidden), latentDim: o.latentDim },
    'glorot',
    1,
    env
  )
  const optimizer = createOptimizer({ optimizer: o.optimizer, lr: undefined }, env.blas, env.webgpu)
  const step = createTrainStep(cfg, model, optimizer)
  const rng = mulberry32(7)
  const x = Float32Array.from({ length: o.batchSize * IMAGE_SIZE }, () => (rng() < 0.2 ? rng() : 0))
  try {
    for (let i = 0; i < o.warmupSteps; i++) await step(x, i)
    const started = performance.now()
    let steps = 0
    while (steps < o.steps && (steps < 3 || performance.now() - started < o.maxSeconds * 1000))
      await step(x, o.warmupSteps + steps++)
    const seconds = (performance.now() - started) / 1000
    return { imgPerSec: (steps * o.batchSize) / seconds, steps, seconds }
  } finally {
    disposeModel(model)
    optimizer.dispose()
  }
}
