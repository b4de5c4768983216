// Convolutions as im2col + matMul, so every backend trains the conv VAE with the dense layers'
// fastest GEMM (BLAS sgemm on wasm-blas) and gradients exist everywhere: tfjs's wasm backend has no
// Conv2DBackpropFilter kernel. col2im is im2col's adjoint, so each is the other's gradient, and a
// transposed convolution is col2im of a matMul. Images are NHWC; padding follows PyTorch.
import * as tf from '@tensorflow/tfjs-core'
import type { MatMul } from './dense'

/** Where the k x k patches of an input image lie: PyTorch's Conv2d(kernel k, stride, padding). */
export interface PatchGeometry {
  batch: number
  height: number
  width: number
  channels: number
  k: number
  stride: number
  /** Zero rows above (columns left of) the image; the far side is padded as far as patches reach. */
  pad: number
  outHeight: number
  outWidth: number
}

/** Patch extraction and its adjoint; the native add-on provides a faster pair (convKernels.ts). */
export interface Im2Col {
  /** [B, H, W, C] -> [B*OH*OW, k*k*C]: row (b, oh, ow) holds patch (i, j, c), c fastest. */
  im2col(x: tf.Tensor4D, g: PatchGeometry): tf.Tensor2D
  /** The adjoint, [B*OH*OW, k*k*C] -> [B, H, W, C]: overlapping patch entries are summed. */
  col2im(cols: tf.Tensor2D, g: PatchGeometry): tf.Tensor4D
}

export const convOutputSize = (size: number, k: number, stride: number, pad: number): number =>
  Math.floor((size + 2 * pad - k) / stride) + 1

/**
 * The padded image as a grid of whole strides: [q, stride] rows (and columns), q = out + (k-1) div
 * stride, so patch row i of output row o is grid row o + i div stride, phase i mod stride.
 */
function strideGrid(g: PatchGeometry, size: number, out: number) {
  const q = out + Math.floor((g.k - 1) / g.stride)
  return { q, padded: q * g.stride }
}

/** Entries [begin, begin + n) of `axis`, zero-padded where the tensor is shorter. */
function window4d(t: tf.Tensor4D, axis: number, begin: number, n: number): tf.Tensor4D {
  const have = Math.max(0, Math.min(n, t.shape[axis] - begin))
  const sliced = tf.slice(
    t,
    t.shape.map((_, a) => (a === axis ? begin : 0)),
    t.shape.map((d, a) => (a === axis ? have : d))
  )
  if (have === n) return sliced
  return tf.pad(
    sliced,
    t.shape.map((_, a): [number, number] => (a === axis ? [0, n - have] : [0, 0]))
  )
}

/**
 * im2col and col2im from tfjs's slice, pad, concat and addN, with their built-in gradients. All
 * tensors stay 4-D: the wasm backend copies rank <= 4 slices with memcpy, higher ranks (and
 * gathers) element by element, 10-50x slower.
 */
export const stockIm2Col: Im2Col = {
  im2col(x, g) {
    const { k, stride: s, channels: C, batch: B, outHeight: OH, outWidth: OW } = g
    const rows = strideGrid(g, g.height, OH)
    const cols = strideGrid(g, g.width, OW)
    // [B, rows.padded, cols.padded, C]: pad before, then pad or crop after.
    const padded = window4d(
      window4d(
        tf.pad(x, [
          [0, 0],
          [g.pad, 0],
          [g.pad, 0],
          [0, 0]
        ]),
        1,
        0,
        rows.padded
      ),
      2,
      0,
      cols.padded
    )
    const byRow = tf.reshape(padded, [B, rows.q, s, cols.padded * C]) as tf.Tensor4D
    const patches: tf.Tensor[] = []
    for (let i = 0; i < k; i++) {
      const rowsI = tf.reshape(
        tf.slice(byRow, [0, Math.floor(i / s), i % s, 0], [B, OH, 1, cols.padded * C]),
        [B, OH, cols.q, s * C]
      )
      for (let j = 0; j < k; j++)
        patches.push(tf.slice(rowsI, [0, 0, Math.floor(j / s), (j % s) * C], [B, OH, OW, C]))
    }
    return tf.reshape(tf.concat(patches, 3), [B * OH * OW, k * k * C]) as tf.Tensor2D
  },

  col2im(colsIn, g) {
    const { k, stride: s, channels: C, batch: B, outHeight: OH, outWidth: OW } = g
    const rows = strideGrid(g, g.height, OH)
    const cols = strideGrid(g, g.width, OW)
    const blocks = tf.reshape(colsIn, [B, OH, OW, k * k * C]) as tf.Tensor4D
    const rowSums: tf.Tensor[] = []
    for (let i = 0; i < k; i++) {
      const placed: tf.Tensor[] = []
      for (let j = 0; j < k; j++) {
        const c = Math.floor(j / s)
        const patch = tf.slice(blocks, [0, 0, 0, (i * k + j) * C], [B, OH, OW, C])
        placed.push(
          tf.pad(patch, [
            [0, 0],
            [0, 0],
            [c, cols.q - OW - c],
            [(j % s) * C, (s - 1 - (j % s)) * C]
          ])
        )
      }
      const r = Math.floor(i / s)
      const row = tf.reshape(tf.addN(placed), [B, OH, 1, cols.padded * C])
      rowSums.push(
        tf.pad(row, [
          [0, 0],
          [r, rows.q - OH - r],
          [i % s, s - 1 - (i % s)],
          [0, 0]
        ])
      )
    }
    const image = tf.reshape(tf.addN(rowSums), [B, rows.padded, cols.padded, C]) as tf.Tensor4D
    return window4d(window4d(image, 1, g.pad, g.height), 2, g.pad, g.width)
  }
}

/** The loops of native/blas/src/conv_kernels.c in JavaScript: cols[(b, oh, ow), (i, j, c)]. */
function im2colLoop(image: Float32Array, g: PatchGeometry): Float32Array {
  const { k, stride: s, pad, channels: C, height: H, width: W } = g
  const row = k * k * C
  const cols = new Float32Array(g.batch * g.outHeight * g.outWidth * row)
  let out = 0
  for (let b = 0; b < g.batch; b++)
    for (let oh = 0; oh < g.outHeight; oh++)
      for (let ow = 0; ow < g.outWidth; ow++, out += row)
        for (let i = 0; i < k; i++) {
          const y = oh * s + i - pad
          if (y < 0 || y >= H) continue // zeros
          for (let j = 0; j < k; j++) {
            const x = ow * s + j - pad
            if (x < 0 || x >= W) continue
            const src = ((b * H + y) * W + x) * C
            cols.set(image.subarray(src, src + C), out + (i * k + j) * C)
          }
        }
  return cols
}

function col2imLoop(cols: Float32Array, g: PatchGeometry): Float32Array {
  const { k, stride: s, pad, channels: C, height: H, width: W } = g
  const row = k * k * C
  const image = new Float32Array(g.batch * H * W * C)
  let inp = 0
  for (let b = 0; b < g.batch; b++)
    for (let oh = 0; oh < g.outHeight; oh++)
      for (let ow = 0; ow < g.outWidth; ow++, inp += row)
        for (let i = 0; i < k; i++) {
          const y = oh * s + i - pad
          if (y < 0 || y >= H) continue
          for (let j = 0; j < k; j++) {
            const x = ow * s + j - pad
            if (x < 0 || x >= W) continue
            const dst = ((b * H + y) * W + x) * C
            const src = inp + (i * k + j) * C
            for (let c = 0; c < C; c++) image[dst + c] += cols[src + c]
          }
        }
  return image
}

const colsShape = (g: PatchGeometry): [number, number] => [
  g.batch * g.outHeight * g.outWidth,
  g.k * g.k * g.channels
]
const imageShape = (g: PatchGeometry): [number, number, number, number] => [
  g.batch,
  g.height,
  g.width,
  g.channels
]

/**
 * im2col and col2im as JavaScript loops over synchronously read data, each the other's gradient.
 * A 20-image conv VAE step (forward and backward) on the cpu backend took 2.7 s with these, 15 s
 * with stockIm2Col (tfjs slices and pads copy element by element) and 70 s with tf.conv2d's own
 * gradients (measured on a loaded 2-core machine: compare the ratios).
 */
export const loopIm2Col: Im2Col = {
  im2col: (x, g) =>
    tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.tensor2d(
        im2colLoop((args[0] as tf.Tensor).dataSync() as Float32Array, g),
        colsShape(g)
      ),
      gradFunc: (dy: tf.Tensor) => [
        tf.tensor4d(col2imLoop(dy.dataSync() as Float32Array, g), imageShape(g))
      ]
    }))(x) as tf.Tensor2D,
  col2im: (cols, g) =>
    tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.tensor4d(
        col2imLoop((args[0] as tf.Tensor).dataSync() as Float32Array, g),
        imageShape(g)
      ),
      gradFunc: (dy: tf.Tensor) => [
        tf.tensor2d(im2colLoop(dy.dataSync() as Float32Array, g), colsShape(g))
      ]
    }))(cols) as tf.Tensor4D
}

/**
 * What the conv layers compute with. 'im2col': the backend's dense matMul and a patch extractor
 * (wasm, whose tfjs backend lacks Conv2DBackpropFilter; wasm-blas with native patches). 'tfjs':
 * tf.conv2d and tf.conv2dTranspose, for backends that have every conv kernel (cpu, webgpu,
 * tensorflow), where tfjs's own kernels beat slices and pads run as single ops.
 */
export type ConvOps =
  | { kind: 'im2col'; matMul: MatMul; patches: Im2Col }
  | { kind: 'tfjs'; matMul: MatMul }

const samePadding = (pad: number): [[0, 0], [number, number], [number, number], [0, 0]] => [
  [0, 0],
  [pad, pad],
  [pad, pad],
  [0, 0]
]

/**
 * y + b for every row of y [rows, C]. The gradient of b is ones^T dy, a GEMM: tfjs's own (a sum over
 * the leading axis) transposes first, 19 ms of a 100-image conv step on wasm for 78,400 x 32.
 */
function addBias(y: tf.Tensor2D, b: tf.Tensor1D, matMul: MatMul): tf.Tensor2D {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [yy, bb] = args as [tf.Tensor2D, tf.Tensor1D]
    return {
      value: tf.add(yy, bb),
      gradFunc: (dy: tf.Tensor) => [
        dy,
        tf.reshape(matMul(tf.ones([1, yy.shape[0]]) as tf.Tensor2D, dy as tf.Tensor2D), bb.shape)
      ]
    }
  })(y, b) as tf.Tensor2D
}

/**
 * PyTorch's Conv2d: y = im2col(x) W + b, with the filter W [k, k, C_in, C_out] (TensorFlow's
 * HWIO layout) viewed as [k*k*C_in, C_out]. Returns [B, OH, OW, C_out].
 */
export function conv2d(
  x: tf.Tensor4D,
  W: tf.Tensor4D,
  b: tf.Tensor1D,
  stride: number,
  pad: number,
  ops: ConvOps
): tf.Tensor4D {
  if (ops.kind === 'tfjs')
    return tf.add(tf.conv2d(x, W, stride, samePadding(pad)), b) as tf.Tensor4D
  const [batch, height, width, channels] = x.shape
  const [k, , , outChannels] = W.shape
  const g: PatchGeometry = {
    ...{ batch, height, width, channels, k, stride, pad },
    outHeight: convOutputSize(height, k, stride, pad),
    outWidth: convOutputSize(width, k, stride, pad)
  }
  const cols = ops.patches.im2col(x, g) // [B*OH*OW, k*k*C_in]
  const y = ops.matMul(cols, tf.reshape(W, [k * k * channels, outChannels]) as tf.Tensor2D)
  return tf.reshape(addBias(y, b, ops.matMul), [
    batch,
    g.outHeight,
    g.outWidth,
    outChannels
  ]) as tf.Tensor4D
}

/**
 * PyTorch's ConvTranspose2d(stride, padding, output_padding), the adjoint of conv2d:
 * y = col2im(x W) + b with W [C_in, k, k, C_out] viewed as [C_in, k*k*C_out].
 * Output size (H - 1) * stride - 2 * pad + k + outputPad. Returns [B, OH, OW, C_out].
 */
export function conv2dTranspose(
  x: tf.Tensor4D,
  W: tf.Tensor4D,
  b: tf.Tensor1D,
  stride: number,
  pad: number,
  outputPad: number,
  ops: ConvOps
): tf.Tensor4D {
  const [batch, height, width, inChannels] = x.shape
  const [, k, , outChannels] = W.shape
  const outHeight = (height - 1) * stride - 2 * pad + k + outputPad
  const outWidth = (width - 1) * stride - 2 * pad + k + outputPad
  if (ops.kind === 'tfjs') {
    // tfjs's filter is [k, k, C_out, C_in]; padding p on both sides of the forward conv it is the
    // adjoint of gives PyTorch's output_padding semantics (0 <= outputPad < stride).
    const filter = tf.transpose(W, [1, 2, 3, 0]) as tf.Tensor4D
    const shape: [number, number, number, number] = [batch, outHeight, outWidth, outChannels]
    return tf.add(tf.conv2dTranspose(x, filter, shape, stride, samePadding(pad)), b) as tf.Tensor4D
  }
  const g: PatchGeometry = {
    batch,
    height: outHeight,
    width: outWidth,
    channels: outChannels,
    ...{ k, stride, pad },
    outHeight: height,
    outWidth: width
  }
  const cols = ops.matMul(
    tf.reshape(x, [batch * height * width, inChannels]) as tf.Tensor2D,
    tf.reshape(W, [inChannels, k * k * outChannels]) as tf.Tensor2D
  ) // [B*H*W, k*k*C_out]
  const y = tf.reshape(ops.patches.col2im(cols, g), [
    batch * g.height * g.width,
    outChannels
  ]) as tf.Tensor2D
  return tf.reshape(addBias(y, b, ops.matMul), [
    batch,
    g.height,
    g.width,
    outChannels
  ]) as tf.Tensor4D
}
