// Central finite differences against tfjs's gradients. A loss of hundreds of nats in float32
// resolves only ~6e-5, so the loss is given as its terms (per pixel, per image): their changes are
// subtracted term by term and summed in float64. Each variable is checked along two directions,
// the gradient's own (the slope must equal |g|) and a random one (slope g . d).
import * as tf from '@tensorflow/tfjs-core'
import { expect } from 'vitest'
import { gaussianKl } from '../../src-main/core/model/loss'
import { reparameterize } from '../../src-main/core/model/vae'
import type { VaeModel } from '../../src-main/core/model/vaeModel'
import { mulberry32 } from '../../src-main/core/train/random'

export interface GradientCheckOptions {
  /** Length of the step along each unit direction. */
  h?: number
  absTol?: number
  relTol?: number
}

/** Returns the number of directional derivatives checked (two per variable). */
export function checkGradients(
  terms: () => tf.Tensor,
  vars: readonly { name: string; variable: tf.Variable }[],
  o: GradientCheckOptions = {}
): number {
  const h = o.h ?? 1e-2
  const rng = mulberry32(99)
  const loss = () => tf.sum(terms()) as tf.Scalar
  const { grads } = tf.variableGrads(
    loss,
    vars.map((v) => v.variable)
  )
  let checked = 0
  for (const { name, variable: v } of vars) {
    const g = grads[v.name].dataSync() as Float32Array
    const base = v.dataSync().slice()
    const gNorm = Math.sqrt(g.reduce((s, x) => s + x * x, 0))
    const random = Float32Array.from(g, () => (rng() < 0.5 ? -1 : 1) / Math.sqrt(g.length))
    const directions: [string, Float32Array][] = [['random', random]]
    if (gNorm > 0) directions.unshift(['gradient', Float32Array.from(g, (x) => x / gNorm)])
    for (const [which, d] of directions) {
      const at = (step: number) => {
        v.assign(
          tf.tensor(
            Float32Array.from(base, (x, i) => x + step * d[i]),
            v.shape
          )
        )
        return tf.tidy(() => terms().dataSync() as Float32Array)
      }
      const plus = at(h)
      const minus = at(-h)
      const numeric = plus.reduce((s, p, i) => s + (p - minus[i]), 0) / (2 * h)
      v.assign(tf.tensor(base, v.shape))
      const analytic = g.reduce((s, x, i) => s + x * d[i], 0)
      const tol = (o.absTol ?? 1e-2) + (o.relTol ?? 1e-2) * Math.abs(numeric)
      expect(
        Math.abs(analytic - numeric),
        `${name} along the ${which} direction: analytic ${analytic}, numeric ${numeric}`
      ).toBeLessThan(tol)
      checked++
    }
  }
  tf.dispose(Object.values(grads))
  return checked
}

/** The -ELBO's terms, [batch, 784 + 1]: BCE per pixel and the KL per image; their sum is the loss. */
export function elboTerms(m: VaeModel, x: tf.Tensor2D, eps: tf.Tensor2D): tf.Tensor {
  const { mu, logVar } = m.encode(x)
  const logits = m.decode(reparameterize(mu, logVar, eps))
  const perPixel = tf.sub(
    tf.add(tf.relu(logits), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))),
    tf.mul(logits, x)
  )
  return tf.concat([perPixel, tf.expandDims(gaussianKl(mu, logVar), 1)], 1)
}
