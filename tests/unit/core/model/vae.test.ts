import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  stockMatMul,
  transposeFreeMatMul,
  type MatMul
} from '../../../../src-main/core/model/dense'
import { bernoulliRec, gaussianKl } from '../../../../src-main/core/model/loss'
import {
  createVaeParams,
  decode,
  encode,
  paramList,
  PARAM_NAMES,
  reparameterize,
  type VaeParams
} from '../../../../src-main/core/model/vae'
import { mulberry32 } from '../../../../src-main/core/train/random'
import { useBackend } from '../../../helpers/tf'

beforeAll(async () => {
  await useBackend('cpu')
})

const shape = { inputDim: 6, hidden: 5, latentDim: 2 }

function negativeElbo(p: VaeParams, x: tf.Tensor2D, eps: tf.Tensor2D, matMul: MatMul): tf.Scalar {
  const { mu, logVar } = encode(p, x, matMul)
  const logits = decode(p, reparameterize(mu, logVar, eps), matMul)
  return tf.mean(tf.add(bernoulliRec(logits, x), gaussianKl(mu, logVar))) as tf.Scalar
}

describe('the VAE', () => {
  it('maps [batch, 784] images to [batch, latent] posteriors and back to [batch, 784] logits', () => {
    const p = createVaeParams({ inputDim: 784, hidden: 16, latentDim: 3 }, 'paper', 1)
    const { mu, logVar } = encode(p, tf.zeros([4, 784]) as tf.Tensor2D, stockMatMul)
    expect(mu.shape).toEqual([4, 3])
    expect(logVar.shape).toEqual([4, 3])
    expect(decode(p, mu, stockMatMul).shape).toEqual([4, 784])
  })

  it("initialises weights from N(0, 0.01^2) with 'paper' and zero biases", () => {
    const p = createVaeParams({ inputDim: 784, hidden: 500, latentDim: 2 }, 'paper', 3)
    const w = Array.from(p.W1.dataSync())
    const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length)
    expect(std).toBeGreaterThan(0.0098)
    expect(std).toBeLessThan(0.0102)
    expect(Math.max(...Array.from(p.b1.dataSync()).map(Math.abs))).toBe(0)
  })

  it('gives the same initial weights for the same seed and different ones for another seed', () => {
    const a = createVaeParams(shape, 'glorot', 5).W5.dataSync()
    const b = createVaeParams(shape, 'glorot', 5).W5.dataSync()
    const c = createVaeParams(shape, 'glorot', 6).W5.dataSync()
    expect(Array.from(a)).toEqual(Array.from(b))
    expect(Array.from(a)).not.toEqual(Array.from(c))
  })

  for (const [name, matMul] of [
    ['stock', stockMatMul],
    ['transpose-free', transposeFreeMatMul]
  ] as const) {
    it(`has -ELBO gradients that agree with central finite differences (${name} matMul)`, () => {
      const p = createVaeParams(shape, 'glorot', 11)
      const rng = mulberry32(2)
      const x = tf.tensor2d(
        Array.from({ length: 18 }, () => rng()),
        [3, 6]
      )
      const eps = tf.tensor2d(
        Array.from({ length: 6 }, () => rng() * 2 - 1),
        [3, 2]
      )
      const { grads } = tf.variableGrads(() => negativeElbo(p, x, eps, matMul), paramList(p))
      const h = 1e-2
      let checked = 0
      for (const n of PARAM_NAMES) {
        const v = p[n]
        const g = grads[v.name].dataSync()
        const base = v.dataSync().slice()
        for (const i of [0, Math.floor(base.length / 2), base.length - 1]) {
          const at = (delta: number) => {
            const moved = base.slice()
            moved[i] += delta
            v.assign(tf.tensor(moved, v.shape))
            return negativeElbo(p, x, eps, matMul).dataSync()[0]
          }
          const numeric = (at(h) - at(-h)) / (2 * h)
          v.assign(tf.tensor(base, v.shape))
          expect(Math.abs(g[i] - numeric)).toBeLessThan(2e-3 + 1e-2 * Math.abs(numeric))
          checked++
        }
      }
      expect(checked).toBe(30)
    })
  }

  it('gets the same gradients from the transpose-free matMul as from the stock one', () => {
    const p = createVaeParams(shape, 'glorot', 4)
    const x = tf.randomUniform([4, 6], 0, 1, 'float32', 1) as tf.Tensor2D
    const eps = tf.randomNormal([4, 2], 0, 1, 'float32', 2) as tf.Tensor2D
    const a = tf.variableGrads(() => negativeElbo(p, x, eps, stockMatMul), paramList(p)).grads
    const b = tf.variableGrads(
      () => negativeElbo(p, x, eps, transposeFreeMatMul),
      paramList(p)
    ).grads
    for (const key of Object.keys(a)) {
      const diff = tf.max(tf.abs(tf.sub(a[key], b[key]))).dataSync()[0]
      expect(diff).toBeLessThan(1e-6)
    }
  })
})
