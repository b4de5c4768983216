import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  bernoulliRec,
  gaussianKl,
  standardNormalLogPdf
} from '../../../../src-main/core/model/loss'
import { useBackend } from '../../../helpers/tf'

beforeAll(async () => {
  await useBackend('cpu')
})

const values = (t: tf.Tensor) => Array.from(t.dataSync())

describe('bernoulliRec', () => {
  it('equals -sum[x log s(l) + (1-x) log(1-s(l))] on a hand-computed case', () => {
    const logits = tf.tensor2d([[0, 2, -3]])
    const x = tf.tensor2d([[0.5, 1, 0]])
    const s = (l: number) => 1 / (1 + Math.exp(-l))
    const expected =
      -(0.5 * Math.log(0.5) + 0.5 * Math.log(0.5)) - Math.log(s(2)) - Math.log(1 - s(-3))
    expect(values(bernoulliRec(logits, x))[0]).toBeCloseTo(expected, 5)
  })

  it('stays finite and exact for confident logits where log(sigmoid) would underflow', () => {
    const rec = values(bernoulliRec(tf.tensor2d([[200, -200]]), tf.tensor2d([[0, 1]])))
    expect(rec[0]).toBeCloseTo(400, 3)
  })

  it('sums over pixels per image', () => {
    const rec = values(
      bernoulliRec(tf.zeros([2, 4]) as tf.Tensor2D, tf.ones([2, 4]) as tf.Tensor2D)
    )
    expect(rec).toHaveLength(2)
    expect(rec[1]).toBeCloseTo(4 * Math.log(2), 5)
  })
})

describe('gaussianKl', () => {
  it('is zero for the prior itself and matches the closed form otherwise', () => {
    const mu = tf.tensor2d([
      [0, 0],
      [1, 0],
      [0, 0]
    ])
    const logVar = tf.tensor2d([
      [0, 0],
      [0, 0],
      [Math.log(2), 0]
    ])
    const kl = values(gaussianKl(mu, logVar))
    expect(kl[0]).toBeCloseTo(0, 6)
    expect(kl[1]).toBeCloseTo(0.5, 6) // -1/2 (1 + 0 - 1 - 1)
    expect(kl[2]).toBeCloseTo(-0.5 * (1 + Math.log(2) - 2), 6)
  })
})

describe('standardNormalLogPdf', () => {
  it('sums log N(v; 0, 1) over the row', () => {
    const lp = values(standardNormalLogPdf(tf.tensor2d([[0, 1]])))
    expect(lp[0]).toBeCloseTo(-Math.log(2 * Math.PI) - 0.5, 5)
  })
})
