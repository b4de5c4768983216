// One optimisation step of the VAE, shared by the trainer and the benchmark so both measure
// the same code: one tf.tidy per step, the stats read outside it (pitfalls.md §1) and
// asynchronously, since GPU backends (webgpu) cannot read tensors synchronously in Node.
import * as tf from '@tensorflow/tfjs-core'
import type { TrainConfig } from '../../common/contract'
import { IMAGE_SIZE } from '../data/dataset'
import type { MatMul } from '../model/dense'
import { bernoulliRec, gaussianKl } from '../model/loss'
import { decode, encode, paramList, reparameterize, type VaeParams } from '../model/vae'

type StepConfig = Pick<TrainConfig, 'batchSize' | 'latentDim' | 'samples' | 'beta' | 'weightDecay'>

/**
 * Returns [nelbo, rec, kl] of the minibatch (means over its images) after updating the parameters.
 * The batch is host memory, or a tensor already on the device (webgpu uploads once per epoch);
 * a tensor stays the caller's to dispose.
 */
export type TrainStep = (
  xBatch: Float32Array | tf.Tensor2D,
  epsSeed: number
) => Promise<Float32Array>

export function createTrainStep(
  cfg: StepConfig,
  params: VaeParams,
  optimizer: tf.Optimizer,
  matMul: MatMul
): TrainStep {
  const B = cfg.batchSize
  const L = cfg.samples
  const vars = paramList(params)
  const tile = (t: tf.Tensor2D) => (L === 1 ? t : (tf.tile(t, [L, 1]) as tf.Tensor2D))

  // Minibatch estimate, per image: mean_b [ 1/L sum_l rec(x_b, z_bl) + beta KL_b ] (+ weight decay).
  const loss = (x: tf.Tensor2D, epsSeed: number, stats: tf.Tensor[]): tf.Scalar => {
    const { mu, logVar } = encode(params, x, matMul)
    const eps = tf.randomNormal([B * L, cfg.latentDim], 0, 1, 'float32', epsSeed) as tf.Tensor2D
    const z = reparameterize(tile(mu), tile(logVar), eps)
    const recAll = bernoulliRec(decode(params, z, matMul), tile(x))
    const rec = L === 1 ? recAll : tf.mean(tf.reshape(recAll, [L, B]), 0)
    const recMean = tf.mean(rec)
    const klMean = tf.mean(gaussianKl(mu, logVar))
    const nelbo = tf.add(recMean, klMean)
    let objective = cfg.beta === 1 ? nelbo : tf.add(recMean, tf.mul(klMean, cfg.beta))
    if (cfg.weightDecay > 0) {
      // MAP with a N(0, I) prior on theta: 1/2 * decay * ||theta||^2 (paper section 5).
      const sq = tf.addN(vars.map((v) => tf.sum(tf.square(v))))
      objective = tf.add(objective, tf.mul(sq, 0.5 * cfg.weightDecay))
    }
    stats.push(tf.keep(tf.stack([nelbo, recMean, klMean])))
    return objective as tf.Scalar
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
