// The training loop: seeded data order, fixed-shape minibatches, per-epoch test evaluation and
// checkpoints; a NaN/Inf loss ends the run as 'diverged' with its history kept.
import * as tf from '@tensorflow/tfjs-core'
import type { EpochMetrics, FinalEvaluation, LossParts, TrainConfig } from '../../common/contract'
import { headOf, IMAGE_SIZE, type Dataset } from '../data/dataset'
import { evaluationImages, fillBatch, trainingImages } from '../data/pixels'
import { VaeLabError } from '../../common/errors'
import type { BlasAddon } from '../backend/blasKernels'
import type { MatMul } from '../model/dense'
import { activeUnitsOf, evaluateNelbo, iwaeBound } from '../model/evaluate'
import { figureData, type FigureData } from '../model/figureData'
import { epochFigureData, type EpochFigureData } from '../model/epochFigures'
import { latentModel } from '../model/latentModel'
import { createVaeModel, disposeModel, modelSpecOf, type VaeModel } from '../model/vaeModel'
import {
  assignParams,
  checkOptimizerState,
  packTensors,
  unpackTensors,
  type TensorRecord
} from './checkpoint'
import { adamBetaPowers, createOptimizer, restoreAdamBetaPowers } from './optimizers'
import { deriveSeed, mulberry32, range, shuffleInPlace } from './random'
import { EpochBatches } from './epochBatches'
import { onBudgetThreads } from '../backend/threadPlan'
import { createTrainStep } from './trainStep'

const STREAM_ORDER = 1
const STREAM_EPS = 2
const STREAM_BINARISE = 3
const STREAM_TEST = 4
const STREAM_FINAL_IWAE = 5
const ADAM_POWERS = 'adam/beta_powers'

export interface BatchProgress {
  epoch: number
  batch: number
  batches: number
  loss: number
  imgPerSec: number
  etaSeconds: number
}

export interface TrainHooks {
  onBatch?(p: BatchProgress): void
  /**
   * After each epoch: its metrics, a checkpoint (weights, optimiser state) and the epoch's figure
   * data to store; awaited.
   */
  onEpoch?(m: EpochMetrics, checkpoint: Uint8Array, figures?: EpochFigureData): void
  isCancelled?(): boolean
}

export interface TrainOutcome {
  status: 'completed' | 'diverged' | 'cancelled'
  message?: string
  epochsDone: number
  imgPerSec: number | null
  evaluation?: FinalEvaluation
  figures?: FigureData
  /** Final weights, named as in the equations (W1, b1, ...; the paper's MLP: W1..b5). */
  weights?: Uint8Array
}

/** What the active backend contributes: its fastest dense matMul and, on wasm-blas, the add-on. */
export interface TrainEnv {
  matMul: MatMul
  blas: BlasAddon | null
  /** webgpu: its fused optimiser, and each epoch's batches uploaded at once. */
  webgpu?: boolean
}

async function weightsOf(model: VaeModel): Promise<TensorRecord[]> {
  return Promise.all(
    model.params.map(async ({ name, variable }) => ({
      name,
      shape: variable.shape,
      values: (await variable.data()) as Float32Array
    }))
  )
}

/** Sum of batch-mean losses, for the epoch's train metrics (with IWAE, its objective too). */
class Accumulator {
  private sums = [0, 0, 0, 0]
  private n = 0
  add(values: ArrayLike<number>) {
    for (let i = 0; i < values.length; i++) this.sums[i] += values[i]
    this.n++
  }
  mean(iwae: boolean): LossParts {
    const [nelbo, rec, kl, objective] = this.sums.map((s) => s / this.n)
    return iwae ? { nelbo, rec, kl, iwae: objective } : { nelbo, rec, kl }
  }
}

/** Where a resumed run continues: the epoch its latest checkpoint closed, and that checkpoint. */
export interface ResumePoint {
  epoch: number
  tensors: Uint8Array
}

export async function trainVae(
  cfg: TrainConfig,
  data: Dataset,
  env: TrainEnv,
  hooks: TrainHooks = {},
  resume?: ResumePoint
): Promise<TrainOutcome> {
  const train = trainingImages(headOf(data.train, cfg.limitTrain), cfg.pixels)
  const test = evaluationImages(headOf(data.test, cfg.limitTest), cfg.pixels)
  const B = cfg.batchSize
  const batches = Math.floor(train.count / B) // the last partial batch is dropped: fixed shapes
  if (batches === 0) {
    throw new VaeLabError(
      'INVALID_INPUT',
      `the training set has ${train.count} images, fewer than one batch of ${B}`
    )
  }
  const model = createVaeModel(modelSpecOf(cfg), cfg.init, cfg.seed, env)
  const optimizer = createOptimizer(cfg, env.blas, env.webgpu)
  const trainStep = createTrainStep(cfg, model, optimizer)
  const xBuf = new Float32Array(B * IMAGE_SIZE)
  if (resume) await restoreCheckpoint(model, optimizer, resume.tensors)
  // Data order, eps and binarisation are seeded per epoch and step, so a resumed run draws exactly
  // what the uninterrupted one would have.
  let epochsDone = resume?.epoch ?? 0
  let step = epochsDone * batches
  let imgPerSec: number | null = null
  let lastTest: Awaited<ReturnType<typeof evaluateNelbo>> | null = null
  let onDevice: EpochBatches | null = null

  try {
    for (let epoch = epochsDone + 1; epoch <= cfg.epochs; epoch++) {
      const order = shuffleInPlace(
        range(train.count),
        mulberry32(deriveSeed(cfg.seed, STREAM_ORDER, epoch))
      )
      const dynamicRng =
        cfg.pixels === 'dynamic'
          ? mulberry32(deriveSeed(cfg.seed, STREAM_BINARISE, epoch))
          : undefined
      const acc = new Accumulator()
      // The same batches, filled in the same order, only uploaded at once (webgpu).
      onDevice = env.webgpu ? new EpochBatches(train, order, batches, B, dynamicRng) : null
      const started = performance.now()
      for (let b = 0; b < batches; b++) {
        if (hooks.isCancelled?.()) {
          return {
            status: 'cancelled',
            message: `cancelled during epoch ${epoch}`,
            epochsDone,
            imgPerSec
          }
        }
        const x = onDevice ? onDevice.batch(b) : xBuf
        if (!onDevice) fillBatch(train, order, b * B, xBuf, dynamicRng)
        const values = await trainStep(x, deriveSeed(cfg.seed, STREAM_EPS, step++))
        if (x instanceof tf.Tensor) x.dispose()
        if (!Number.isFinite(values[0])) {
          const message = `loss became ${values[0]} at epoch ${epoch}, batch ${b + 1}; try a lower learning rate`
          return { status: 'diverged', message, epochsDone, imgPerSec }
        }
        acc.add(values)
        if (hooks.onBatch) {
          const elapsed = (performance.now() - started) / 1000
          const rate = ((b + 1) * B) / elapsed
          const remaining = (batches - b - 1 + (cfg.epochs - epoch) * batches) * B
          hooks.onBatch({
            epoch,
            batch: b + 1,
            batches,
            loss: values[0],
            imgPerSec: rate,
            etaSeconds: remaining / rate
          })
        }
      }
      const seconds = (performance.now() - started) / 1000
      imgPerSec = (batches * B) / seconds
      onDevice?.dispose() // before evaluation: a full epoch is 188 MB of device memory
      onDevice = null
      const testReport = await onBudgetThreads(() =>
        evaluateNelbo(model, test, deriveSeed(cfg.seed, STREAM_TEST, 0))
      )
      lastTest = testReport
      // Issue 17: the figures as they are after this epoch (about 1% of an MNIST epoch).
      const figures = await epochFigureData(latentModel(model), test, testReport.klPerDim)
      epochsDone = epoch
      const metrics: EpochMetrics = {
        epoch,
        train: acc.mean(cfg.objective === 'iwae'),
        test: testReport.overall,
        testPerDigit: testReport.perDigit,
        imgPerSec,
        seconds
      }
      await hooks.onEpoch?.(metrics, await checkpointBlob(model, optimizer), figures)
    }
    // The last epoch's evaluation is the final one (same weights, same seed); a run resumed after
    // its last epoch has none yet.
    const finalTest =
      lastTest ??
      (await onBudgetThreads(() =>
        evaluateNelbo(model, test, deriveSeed(cfg.seed, STREAM_TEST, 0))
      ))
    return {
      status: 'completed',
      epochsDone,
      imgPerSec,
      evaluation: {
        test: finalTest.overall,
        testPerDigit: finalTest.perDigit,
        activeUnits: activeUnitsOf(finalTest.muVariance),
        klPerDim: finalTest.klPerDim,
        // Burda et al.'s evaluation (k = 5000 in their tables), when the config asks for it.
        ...(cfg.evalIwae
          ? {
              iwae: await onBudgetThreads(() =>
                iwaeBound(model, test, cfg.evalIwae!, deriveSeed(cfg.seed, STREAM_FINAL_IWAE, 0))
              )
            }
          : {})
      },
      figures: await figureData(model, test),
      weights: packTensors(await weightsOf(model))
    }
  } finally {
    onDevice?.dispose()
    disposeModel(model)
    optimizer.dispose()
  }
}

/** Puts a checkpoint's weights and optimiser state (Adam moments, iteration count) back. */
async function restoreCheckpoint(
  model: VaeModel,
  optimizer: tf.Optimizer,
  blob: Uint8Array
): Promise<void> {
  assignParams(model.params, blob, 'the checkpoint')
  checkOptimizerState(model.params, unpackTensors(blob, 'the checkpoint'), 'the checkpoint')
  const state = unpackTensors(blob, 'the checkpoint')
    .filter((t) => t.name.startsWith('opt/'))
    .map((t) => ({
      index: Number(t.name.split('/')[1]),
      name: t.name.split('/').slice(2).join('/'),
      t
    }))
    .sort((a, b) => a.index - b.index)
    .map(({ name, t }) => ({ name, tensor: tf.tensor(t.values, t.shape, 'float32') }))
  if (state.length === 0) return
  try {
    await optimizer.setWeights(state)
  } finally {
    // setWeights made variables of its own from these.
    for (const s of state) s.tensor.dispose()
  }
  const powers = unpackTensors(blob, 'the checkpoint').find((t) => t.name === ADAM_POWERS)
  if (powers) restoreAdamBetaPowers(optimizer, [powers.values[0], powers.values[1]])
}

/** Weights and optimiser state (positional, as tfjs optimisers restore them). */
async function checkpointBlob(model: VaeModel, optimizer: tf.Optimizer): Promise<Uint8Array> {
  const state = await optimizer.getWeights()
  const records = (await weightsOf(model)).concat(
    await Promise.all(
      state.map(async (w, i) => ({
        name: `opt/${i}/${w.name}`,
        shape: w.tensor.shape,
        values: (await w.tensor.data()) as Float32Array
      }))
    )
  )
  // getWeights makes a fresh 'iter' scalar on every call; the rest are the optimiser's own variables.
  for (const w of state) if (w.name === 'iter') w.tensor.dispose()
  const powers = await adamBetaPowers(optimizer)
  if (powers) records.push({ name: ADAM_POWERS, shape: [2], values: Float32Array.from(powers) })
  return packTensors(records)
}
