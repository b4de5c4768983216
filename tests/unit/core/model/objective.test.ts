import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { transposeFreeMatMul } from '../../../../src-main/core/model/dense'
import { bernoulliRec, standardNormalLogPdf } from '../../../../src-main/core/model/loss'
import { trainingObjective, type ObjectiveConfig } from '../../../../src-main/core/model/objective'
import { reparameterize } from '../../../../src-main/core/model/vae'
import { createVaeModel, modelVariables } from '../../../../src-main/core/model/vaeModel'
import { mulberry32 } from '../../../../src-main/core/train/random'
import { checkGradients } from '../../../helpers/gradientCheck'
import { useBackend } from '../../../helpers/tf'

beforeAll(async () => {
  await useBackend('cpu')
})

const elbo: ObjectiveConfig = { objective: 'elbo', samples: 1, beta: 1, weightDecay: 0 }
const iwae = (k: number): ObjectiveConfig => ({ ...elbo, objective: 'iwae', k })
const env = { matMul: transposeFreeMatMul, blas: null }
const rng = mulberry32(3)
const uniform = (shape: [number, number], lo = 0, hi = 1) =>
  tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng()),
    shape
  ) as tf.Tensor2D
const model = () => createVaeModel({ arch: 'mlp', hidden: [8, 6], latentDim: 3 }, 'torch', 7, env)
const value = (t: tf.Tensor) => t.dataSync()[0]

describe('trainingObjective', () => {
  it('with k = 1 gives exactly the single-sample ELBO with a Monte-Carlo KL on the same noise, and its gradients', () => {
    const m = model()
    const x = uniform([4, 784])
    const eps = uniform([4, 3], -2, 2)
    // -ELBO estimate with z = mu + sigma eps: rec + log q(z|x) - log p(z)
    const mcElbo = () => {
      const { mu, logVar } = m.encode(x)
      const z = reparameterize(mu, logVar, eps)
      const logQ = tf.sub(standardNormalLogPdf(eps), tf.mul(tf.sum(logVar, 1), 0.5))
      return tf.mean(
        tf.add(bernoulliRec(m.decode(z), x), tf.sub(logQ, standardNormalLogPdf(z)))
      ) as tf.Scalar
    }
    const ours = trainingObjective(m, x, eps, iwae(1))
    expect(Math.abs(value(ours.loss) - value(mcElbo()))).toBeLessThan(1e-4)
    const vars = modelVariables(m)
    const a = tf.variableGrads(() => trainingObjective(m, x, eps, iwae(1)).loss, vars).grads
    const b = tf.variableGrads(mcElbo, vars).grads
    for (const v of vars)
      expect(value(tf.max(tf.abs(tf.sub(a[v.name], b[v.name]))))).toBeLessThan(1e-4)
  })

  it('with k = 1 equals the closed-form ELBO in expectation (4,000 draws, within 3 standard errors)', () => {
    const m = model()
    const n = 4000
    const x = tf.tile(uniform([1, 784]), [n, 1]) as tf.Tensor2D
    const eps = tf.randomNormal([n, 3], 0, 1, 'float32', 11) as tf.Tensor2D
    const t = trainingObjective(m, x, eps, iwae(1))
    // Per-draw estimates, for the standard error: the loss is their mean.
    const perDraw = tf
      .tidy(() => {
        const { mu, logVar } = m.encode(x)
        const z = reparameterize(mu, logVar, eps)
        const logQ = tf.sub(standardNormalLogPdf(eps), tf.mul(tf.sum(logVar, 1), 0.5))
        return tf.add(bernoulliRec(m.decode(z), x), tf.sub(logQ, standardNormalLogPdf(z)))
      })
      .dataSync() as Float32Array
    const mean = perDraw.reduce((s, v) => s + v, 0) / n
    const se = Math.sqrt(perDraw.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) / n)
    expect(Math.abs(value(t.loss) - mean)).toBeLessThan(1e-3)
    expect(Math.abs(value(t.loss) - value(t.nelbo))).toBeLessThan(3 * se)
    expect(se).toBeGreaterThan(0)
  })

  it('is a tighter bound for larger k: -L_50 <= -L_5 <= -L_1 = -ELBO on average', () => {
    const m = model()
    const B = 200
    const x = tf.tile(uniform([2, 784]), [B / 2, 1]) as tf.Tensor2D
    const bound = (k: number) =>
      value(
        trainingObjective(
          m,
          x,
          tf.randomNormal([k * B, 3], 0, 1, 'float32', k) as tf.Tensor2D,
          iwae(k)
        ).loss
      )
    const [l1, l5, l50] = [bound(1), bound(5), bound(50)]
    expect(l5).toBeLessThan(l1)
    expect(l50).toBeLessThan(l5)
  })

  it('has IWAE (k = 3) gradients that agree with central finite differences for a two-layer MLP', () => {
    const m = model()
    const x = uniform([2, 784])
    const eps = uniform([6, 3], -1.5, 1.5)
    // The loss is one float32 scalar (~540 nats, resolution ~6e-5): h = 1e-2 keeps that noise
    // near 3e-3, under the check's absolute tolerance; tanh layers have no kinks.
    const loss = () => trainingObjective(m, x, eps, iwae(3)).loss
    expect(checkGradients(loss, m.params, { h: 1e-2 })).toBe(28)
  })

  it('reports -ELBO = rec + KL for either objective and the IWAE loss only for IWAE', () => {
    const m = model()
    const x = uniform([3, 784])
    for (const [cfg, rows] of [
      [elbo, 3],
      [iwae(4), 12]
    ] as const) {
      const t = trainingObjective(m, x, uniform([rows, 3], -1, 1), cfg)
      expect(value(t.rec) + value(t.kl)).toBeCloseTo(value(t.nelbo), 3)
      expect(t.iwae === null).toBe(cfg.objective === 'elbo')
    }
  })
})
