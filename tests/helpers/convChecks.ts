// Checks any im2col/col2im pair against tfjs's conv2d and PyTorch's ConvTranspose2d definition.
import * as tf from '@tensorflow/tfjs-core'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  conv2d,
  conv2dTranspose,
  convOutputSize,
  type ConvOps,
  type Im2Col,
  type PatchGeometry
} from '../../src-main/core/model/conv'
import { mulberry32 } from '../../src-main/core/train/random'

const rng = mulberry32(17)
const random = (shape: number[]) =>
  tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1),
    shape
  )
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]

/** PyTorch's ConvTranspose2d written as the plain scatter loop of its definition. */
function naiveConvTranspose(
  x: tf.Tensor4D,
  W: tf.Tensor4D,
  stride: number,
  pad: number,
  outputPad: number
): tf.Tensor4D {
  const [B, H, Wd, Cin] = x.shape
  const [, k, , Cout] = W.shape
  const OH = (H - 1) * stride - 2 * pad + k + outputPad
  const OW = (Wd - 1) * stride - 2 * pad + k + outputPad
  const xs = x.arraySync()
  const ws = W.arraySync()
  const y = new Float32Array(B * OH * OW * Cout)
  for (let b = 0; b < B; b++)
    for (let ih = 0; ih < H; ih++)
      for (let iw = 0; iw < Wd; iw++)
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++) {
            const oh = ih * stride + i - pad
            const ow = iw * stride + j - pad
            if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue
            for (let ci = 0; ci < Cin; ci++)
              for (let co = 0; co < Cout; co++)
                y[((b * OH + oh) * OW + ow) * Cout + co] += xs[b][ih][iw][ci] * ws[ci][i][j][co]
          }
  return tf.tensor4d(y, [B, OH, OW, Cout])
}

/** Checks `ops()` (valid after `setup`, which runs before each test and selects the backend). */
export function checkConvOps(
  name: string,
  ops: () => ConvOps,
  setup: () => Promise<void>,
  hasPatches = true
): void {
  describe(`${name} convolutions`, () => {
    const patches = (): Im2Col => {
      const o = ops()
      if (o.kind !== 'im2col') throw new Error('not an im2col ConvOps')
      return o.patches
    }
    beforeEach(setup)
    for (const [size, k, stride, pad] of [
      [28, 3, 2, 0],
      [13, 3, 2, 0],
      [7, 3, 1, 1],
      [9, 4, 3, 2]
    ]) {
      it(`match tf.conv2d for ${size}x${size}, kernel ${k}, stride ${stride}, padding ${pad}`, () => {
        const x = random([2, size, size, 3]) as tf.Tensor4D
        const W = random([k, k, 3, 4]) as tf.Tensor4D
        const b = random([4]) as tf.Tensor1D
        const ours = conv2d(x, W, b, stride, pad, ops())
        const theirs = tf.add(
          tf.conv2d(x, W, stride, [
            [0, 0],
            [pad, pad],
            [pad, pad],
            [0, 0]
          ]),
          b
        )
        expect(ours.shape).toEqual([2, convOutputSize(size, k, stride, pad), ours.shape[2], 4])
        expect(ours.shape).toEqual(theirs.shape)
        expect(maxDiff(ours, theirs)).toBeLessThan(1e-5)
      })
    }

    for (const [size, k, stride, pad, outputPad] of [
      [7, 3, 2, 1, 1],
      [14, 3, 2, 1, 1],
      [28, 3, 1, 1, 0],
      [5, 4, 3, 0, 2]
    ]) {
      it(`match PyTorch's ConvTranspose2d for ${size}x${size}, kernel ${k}, stride ${stride}, padding ${pad}, output padding ${outputPad}`, () => {
        const x = random([2, size, size, 3]) as tf.Tensor4D
        const W = random([3, k, k, 2]) as tf.Tensor4D
        const b = random([2]) as tf.Tensor1D
        const ours = conv2dTranspose(x, W, b, stride, pad, outputPad, ops())
        const theirs = tf.add(naiveConvTranspose(x, W, stride, pad, outputPad), b)
        expect(ours.shape).toEqual(theirs.shape)
        expect(maxDiff(ours, theirs)).toBeLessThan(1e-5)
      })
    }

    // Only the native path has im2col/col2im of its own; tf.conv2d has nothing to check here.
    if (hasPatches)
      it('has col2im as the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>', () => {
        const g: PatchGeometry = {
          ...{ batch: 2, height: 13, width: 13, channels: 5, k: 3, stride: 2, pad: 1 },
          outHeight: convOutputSize(13, 3, 2, 1),
          outWidth: convOutputSize(13, 3, 2, 1)
        }
        const x = random([2, 13, 13, 5]) as tf.Tensor4D
        const c = random([2 * g.outHeight * g.outWidth, 45]) as tf.Tensor2D
        const left = tf.sum(tf.mul(patches().im2col(x, g), c)).dataSync()[0]
        const right = tf.sum(tf.mul(x, patches().col2im(c, g))).dataSync()[0]
        expect(Math.abs(left - right)).toBeLessThan(1e-3 * Math.abs(left))
      })

    it('has the gradients of the convolution: dx = convT(dy, W), dW = sum of x patches times dy', () => {
      const x = random([2, 9, 9, 2]) as tf.Tensor4D
      const W = random([3, 3, 2, 3]) as tf.Tensor4D
      const b = tf.zeros([3]) as tf.Tensor1D
      const dy = random([2, 4, 4, 3]) as tf.Tensor4D
      const [dx, dW] = tf.grads((a: tf.Tensor, w: tf.Tensor) =>
        tf.sum(tf.mul(conv2d(a as tf.Tensor4D, w as tf.Tensor4D, b, 2, 0, ops()), dy))
      )([x, W])
      const wT = tf.transpose(W, [3, 0, 1, 2]) as tf.Tensor4D // [C_out, k, k, C_in]
      expect(maxDiff(dx, naiveConvTranspose(dy, wT, 2, 0, 0))).toBeLessThan(1e-5)
      const xs = x.arraySync()
      const dys = dy.arraySync()
      const expected = new Float32Array(3 * 3 * 2 * 3)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++)
          for (let ci = 0; ci < 2; ci++)
            for (let co = 0; co < 3; co++) {
              let sum = 0
              for (let n = 0; n < 2; n++)
                for (let oh = 0; oh < 4; oh++)
                  for (let ow = 0; ow < 4; ow++)
                    sum += xs[n][2 * oh + i][2 * ow + j][ci] * dys[n][oh][ow][co]
              expected[((i * 3 + j) * 2 + ci) * 3 + co] = sum
            }
      expect(maxDiff(dW, tf.tensor4d(expected, [3, 3, 2, 3]))).toBeLessThan(1e-4)
    })
  })
}
