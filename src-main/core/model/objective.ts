// The training objectives, per image and averaged over the minibatch: the paper's ELBO (with
// beta and L samples) and Burda et al.'s importance-weighted bound.
import * as tf from '@tensorflow/tfjs-core'
import type { TrainConfig } from '../../common/contract'
import { bernoulliRec, gaussianKl, iwaeBoundOf, logImportanceWeight } from './loss'
import { reparameterize } from './vae'
import type { VaeModel } from './vaeModel'

export type ObjectiveConfig = Pick<
  TrainConfig,
  'samples' | 'beta' | 'weightDecay' | 'objective' | 'k'
>

/** Posterior samples drawn per image: L for the ELBO, k for IWAE. */
export const samplesPerImage = (cfg: ObjectiveConfig): number =>
  cfg.objective === 'iwae' ? (cfg.k ?? 1) : cfg.samples

export interface ObjectiveTerms {
  /** What the optimiser minimises. */
  loss: tf.Scalar
  /** -ELBO = rec + KL (closed form), rec averaged over the samples; reported for every objective. */
  nelbo: tf.Scalar
  rec: tf.Scalar
  kl: tf.Scalar
  /** IWAE only: -log (1/k) sum_s w_s. */
  iwae: tf.Scalar | null
}

/**
 * x [B, 784]; eps [S*B, latent] with S = samplesPerImage(cfg), row s*B + b noise for image b.
 *   ELBO: loss = mean_b [ 1/L sum_l rec(x_b, z_bl) + beta KL_b ]
 *   IWAE: loss = -mean_b log (1/k) sum_s w_bs,  w_bs = p(x_b, z_bs) / q(z_bs|x_b)
 * plus 1/2 * weightDecay * ||theta||^2, the paper's MAP with a N(0, I) prior on theta (section 5).
 */
export function trainingObjective(
  model: VaeModel,
  x: tf.Tensor2D,
  eps: tf.Tensor2D,
  cfg: ObjectiveConfig
): ObjectiveTerms {
  const B = x.shape[0]
  const S = samplesPerImage(cfg)
  const tile = (t: tf.Tensor2D) => (S === 1 ? t : (tf.tile(t, [S, 1]) as tf.Tensor2D))
  const { mu, logVar } = model.encode(x)
  const z = reparameterize(tile(mu), tile(logVar), eps)
  const logits = model.decode(z)
  const recAll = bernoulliRec(logits, tile(x))
  const rec = S === 1 ? recAll : tf.mean(tf.reshape(recAll, [S, B]), 0)
  const recMean = tf.mean(rec) as tf.Scalar
  const klMean = tf.mean(gaussianKl(mu, logVar)) as tf.Scalar
  const nelbo = tf.add(recMean, klMean) as tf.Scalar
  let iwae: tf.Scalar | null = null
  let loss: tf.Scalar
  if (cfg.objective === 'iwae') {
    const logW = logImportanceWeight(logits, tile(x), z, eps, tile(logVar)) // [S*B]
    const perImage = tf.transpose(tf.reshape(logW, [S, B])) as tf.Tensor2D // [B, S]
    loss = iwae = tf.neg(tf.mean(iwaeBoundOf(perImage))) as tf.Scalar
  } else {
    loss = cfg.beta === 1 ? nelbo : (tf.add(recMean, tf.mul(klMean, cfg.beta)) as tf.Scalar)
  }
  if (cfg.weightDecay > 0) {
    const sq = tf.addN(model.params.map((p) => tf.sum(tf.square(p.variable))))
    loss = tf.add(loss, tf.mul(sq, 0.5 * cfg.weightDecay)) as tf.Scalar
  }
  return { loss, nelbo, rec: recMean, kl: klMean, iwae }
}
