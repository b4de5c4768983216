import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ActiveBackend } from '../../../../src-main/core/backend/backends'
import { createVaeModel } from '../../../../src-main/core/model/vaeModel'
import { mulberry32 } from '../../../../src-main/core/train/random'
import { checkGradients, elboTerms } from '../../../helpers/gradientCheck'
import { useBackend } from '../../../helpers/tf'

let env: ActiveBackend
beforeAll(async () => {
  // wasm: the cpu backend's slices and pads run element by element, 20x slower here.
  env = await useBackend('wasm')
})

const rng = mulberry32(5)
const uniform = (shape: [number, number], lo = 0, hi = 1) =>
  tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng()),
    shape
  ) as tf.Tensor2D

describe('the conv VAE', () => {
  it('maps [batch, 784] images through 13x13x32 and 6x6x64 to [batch, latent] and back to [batch, 784] logits', () => {
    const m = createVaeModel({ arch: 'conv', hidden: [], latentDim: 3 }, 'torch', 1, env)
    const { mu, logVar } = m.encode(tf.zeros([4, 784]) as tf.Tensor2D)
    expect(mu.shape).toEqual([4, 3])
    expect(logVar.shape).toEqual([4, 3])
    expect(m.decode(mu).shape).toEqual([4, 784])
    expect(m.params.map((p) => `${p.name} ${p.variable.shape.join('x')}`)).toEqual([
      'W1 3x3x1x32',
      'b1 32',
      'W2 3x3x32x64',
      'b2 64',
      'W3 2304x3',
      'b3 3',
      'W4 2304x3',
      'b4 3',
      'W5 3x1568',
      'b5 1568',
      'W6 32x3x3x64',
      'b6 64',
      'W7 64x3x3x32',
      'b7 32',
      'W8 32x3x3x1',
      'b8 1'
    ])
  })

  it('has -ELBO gradients that agree with central finite differences', () => {
    const m = createVaeModel({ arch: 'conv', hidden: [], latentDim: 2 }, 'torch', 4, env)
    const x = uniform([2, 784])
    const eps = uniform([2, 2], -1, 1)
    // ReLU kinks crossed within +-h put O(h) error into finite differences (the MLPs' tanh has
    // none), and float32 rounding limits how small h can be: 3% is what the two leave.
    expect(checkGradients(() => elboTerms(m, x, eps), m.params, { h: 1e-3, relTol: 3e-2 })).toBe(32)
  })
})
