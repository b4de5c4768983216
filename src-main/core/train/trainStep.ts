// One optimisation step of the VAE, shared by the trainer and the benchmark so both measure
// the same code: one tf.tidy per step, the stats read outside it (pitfalls.md §1) and
// asynchronously, since GPU backends (webgpu) cannot read tensors synchronously in Node.
import * as tf from '@tensorflow/tfjs-core'
import type { TrainConfig } from '../../common/contract'
import { IMAGE_SIZE } from '../data/dataset'
import { samplesPerImage, trainingObjective, type ObjectiveConfig } from '../model/objective'
import { modelVariables, type VaeModel } from '../model/vaeModel'

type StepConfig = Pick<TrainConfig, 'batchSize' | 'latentDim'> & ObjectiveConfig

/**
 * Returns [nelbo, rec, kl] of the minibatch (means over its images) after updating the parameters;
 * with the IWAE objective a fourth value, the objective -log (1/k) sum_s w_s. The batch is host
 * memory, or a tensor already on the device (webgpu uploads once per epoch); a tensor stays the
 * caller's to dispose.
 */
export type TrainStep = (
  xBatch: Float32Array | tf.Tensor2D,
  epsSeed: number
) => Promise<Float32Array>

export function createTrainStep(
  cfg: StepConfig,
  model: VaeModel,
  optimizer: tf.Optimizer
): TrainStep {
  const B = cfg.batchSize
  const rows = B * samplesPerImage(cfg)
  const vars = modelVariables(model)

  const loss = (x: tf.Tensor2D, epsSeed: number, stats: tf.Tensor[]): tf.Scalar => {
    const eps = tf.randomNormal([rows, cfg.latentDim], 0, 1, 'float32', epsSeed) as tf.Tensor2D
    const t = trainingObjective(model, x, eps, cfg)
    const reported = t.iwae ? [t.nelbo, t.rec, t.kl, t.iwae] : [t.nelbo, t.rec, t.kl]
    stats.push(tf.keep(tf.stack(reported)))
    return t.loss
  }
  return async (xBatch, epsSeed) => {
    const stats: tf.Tensor[] = []
    tf.tidy(() => {
      const x = xBatch instanceof tf.Tensor ? xBatch : tf.tensor2d(xBatch, [B, IMAGE_SIZE])
      optimizer.minimize(() => loss(x, epsSeed, stats), false, vars)
    })
    try {
      return (await stats[0].data()) as Float32Array
    } finally {
      stats[0].dispose()
    }
  }
}
