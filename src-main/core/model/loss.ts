import * as tf from '@tensorflow/tfjs-core'
import { FUSED_KERNELS, fused } from '../backend/fusedOps'

/**
 * Reconstruction term -log p(x|z) per image for a Bernoulli decoder, summed over pixels [batch].
 * BCE with logits in its stable form max(l, 0) - l x + log(1 + exp(-|l|)): never log(sigmoid(l)),
 * which underflows to -Infinity for confident wrong pixels.
 */
export function bernoulliRec(logits: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  return fused(FUSED_KERNELS.bernoulliRec, { logits, x }, {}, () => {
    const perPixel = tf.add(
      tf.sub(tf.relu(logits), tf.mul(logits, x)),
      tf.log1p(tf.exp(tf.neg(tf.abs(logits))))
    )
    return tf.sum(perPixel, 1) as tf.Tensor1D
  })
}

// Kingma & Welling (2013), App. B: KL = -1/2 * sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)
export function gaussianKl(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D {
  return fused(FUSED_KERNELS.gaussianKl, { mu, logVar }, {}, () => {
    const inner = tf.sub(tf.sub(tf.add(logVar, 1), tf.square(mu)), tf.exp(logVar))
    return tf.mul(tf.sum(inner, 1), -0.5) as tf.Tensor1D
  })
}

/** log N(v; 0, I) summed over the last axis, for the IWAE weights [rows]. */
export function standardNormalLogPdf(v: tf.Tensor2D): tf.Tensor1D {
  const d = v.shape[1]
  return tf.sub(
    tf.mul(tf.sum(tf.square(v), 1), -0.5),
    0.5 * d * Math.log(2 * Math.PI)
  ) as tf.Tensor1D
}

/**
 * Burda et al. (2015): log w = log p(x|z) + log p(z) - log q(z|x) per row, for z = mu + sigma * eps
 * (all inputs row-aligned: [rows, 784] logits and x, [rows, latent] z, eps and log sigma^2).
 */
export function logImportanceWeight(
  logits: tf.Tensor2D,
  x: tf.Tensor2D,
  z: tf.Tensor2D,
  eps: tf.Tensor2D,
  logVar: tf.Tensor2D
): tf.Tensor1D {
  const logPxGivenZ = tf.neg(bernoulliRec(logits, x))
  const logPz = standardNormalLogPdf(z)
  // log q(z|x) = log N(eps; 0, I) - 1/2 sum_j log sigma_j^2, since z = mu + sigma * eps
  const logQz = tf.sub(standardNormalLogPdf(eps), tf.mul(tf.sum(logVar, 1), 0.5))
  return tf.sub(tf.add(logPxGivenZ, logPz), logQz) as tf.Tensor1D
}

/** The k-sample bound per image from log w [images, k]: log (1/k) sum_s w_s, by log-sum-exp. */
export function iwaeBoundOf(logW: tf.Tensor2D): tf.Tensor1D {
  return tf.sub(tf.logSumExp(logW, 1), Math.log(logW.shape[1])) as tf.Tensor1D
}
