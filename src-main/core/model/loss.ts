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
