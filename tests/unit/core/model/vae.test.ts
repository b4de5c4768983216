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
  reparameterize,
  type VaeParams
} from '../../../../src-main/core/model/vae'
import { createVaeModel } from '../../../../src-main/core/model/vaeModel'
import { mulberry32 } from '../../../../src-main/core/train/random'
import { checkGradients, elboTerms } from '../../../helpers/gradientCheck'
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

const rng = mulberry32(2)
const uniform = (shape: [number, number], lo = 0, hi = 1) =>
  tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng()),
    shape
  )

describe('the VAE', () => {
  it('maps [batch, 784] images to [batch, latent] posteriors and back to [batch, 784] logits', () => {
    const p = createVaeParams({ inputDim: 784, hidden: 16, latentDim: 3 }, 'paper', 1)
    const { mu, logVar } = encode(p, tf.zeros([4, 784]) as tf.Tensor2D, stockMatMul)
    expect(mu.shape).toEqual([4, 3])
    expect(logVar.shape).toEqual([4, 3])
    expect(decode(p, mu, stockMatMul).shape).toEqual([4, 784])
  })

  it('names the one-layer MLP W1..b5 as the paper, and numbers deeper ones in equation order', () => {
    const one = createVaeParams(shape, 'glorot', 1)
    expect(one.named.map((n) => n.name)).toEqual([
      'W1',
      'b1',
      'W2',
      'b2',
      'W3',
      'b3',
      'W4',
      'b4',
      'W5',
      'b5'
    ])
    expect(one.named.map((n) => n.variable.shape)).toEqual([
      [6, 5],
      [5],
      [5, 2],
      [2],
      [5, 2],
      [2],
      [2, 5],
      [5],
      [5, 6],
      [6]
    ])
    const deep = createVaeParams({ inputDim: 6, hidden: [5, 4, 3], latentDim: 2 }, 'glorot', 1)
    // encoder 6-5-4-3, mu and log sigma^2 from 3, decoder 2-3-4-5 (mirrored), logits 5-6
    expect(deep.named.filter((n) => n.name.startsWith('W')).map((n) => n.variable.shape)).toEqual([
      [6, 5],
      [5, 4],
      [4, 3],
      [3, 2],
      [3, 2],
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 6]
    ])
    expect(deep.encoder).toHaveLength(3)
    expect(deep.decoder).toHaveLength(3)
  })

  it('gives the same initial weights for the same seed and different ones for another seed', () => {
    const a = createVaeParams(shape, 'glorot', 5).logits.W.dataSync()
    const b = createVaeParams(shape, 'glorot', 5).logits.W.dataSync()
    const c = createVaeParams(shape, 'glorot', 6).logits.W.dataSync()
    expect(Array.from(a)).toEqual(Array.from(b))
    expect(Array.from(a)).not.toEqual(Array.from(c))
  })

  for (const [name, matMul] of [
    ['stock', stockMatMul],
    ['transpose-free', transposeFreeMatMul]
  ] as const) {
    it(`has -ELBO gradients that agree with central finite differences (${name} matMul)`, () => {
      const p = createVaeParams(shape, 'glorot', 11)
      const x = uniform([3, 6]) as tf.Tensor2D
      const eps = uniform([3, 2], -1, 1) as tf.Tensor2D
      expect(checkGradients(() => negativeElbo(p, x, eps, matMul), p.named)).toBe(20)
    })
  }

  it('has -ELBO gradients that agree with finite differences for a deep MLP (three tanh layers)', () => {
    const m = createVaeModel({ arch: 'mlp', hidden: [5, 4, 3], latentDim: 2 }, 'torch', 3, {
      matMul: transposeFreeMatMul,
      blas: null
    })
    // The model's input is 784 pixels; a few rows of random grey levels are enough.
    const x = uniform([2, 784]) as tf.Tensor2D
    const eps = uniform([2, 2], -1, 1) as tf.Tensor2D
    expect(checkGradients(() => elboTerms(m, x, eps), m.params)).toBe(36)
  })

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
