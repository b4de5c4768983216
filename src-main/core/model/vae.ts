// Kingma & Welling (2013), Appendix C: Gaussian MLP encoder, Bernoulli MLP decoder.
import * as tf from '@tensorflow/tfjs-core'
import { FUSED_KERNELS, fused } from '../backend/fusedOps'
import { denseLayer, type MatMul } from './dense'

export const INPUT_DIM = 784

export interface VaeShape {
  inputDim: number
  hidden: number
  latentDim: number
}

/** The ten parameter tensors, named as in the paper's equations. */
export interface VaeParams {
  W1: tf.Variable // [input, hidden]   encoder hidden layer
  b1: tf.Variable
  W2: tf.Variable // [hidden, latent]  mu
  b2: tf.Variable
  W3: tf.Variable // [hidden, latent]  log sigma^2
  b3: tf.Variable
  W4: tf.Variable // [latent, hidden]  decoder hidden layer
  b4: tf.Variable
  W5: tf.Variable // [hidden, input]   Bernoulli logits
  b5: tf.Variable
}

// tfjs variable names are global per tf instance; a counter keeps several models apart.
let variableCount = 0

export const PARAM_NAMES = ['W1', 'b1', 'W2', 'b2', 'W3', 'b3', 'W4', 'b4', 'W5', 'b5'] as const
export type ParamName = (typeof PARAM_NAMES)[number]

export function paramShapes(s: VaeShape): Record<ParamName, number[]> {
  return {
    W1: [s.inputDim, s.hidden],
    b1: [s.hidden],
    W2: [s.hidden, s.latentDim],
    b2: [s.latentDim],
    W3: [s.hidden, s.latentDim],
    b3: [s.latentDim],
    W4: [s.latentDim, s.hidden],
    b4: [s.hidden],
    W5: [s.hidden, s.inputDim],
    b5: [s.inputDim]
  }
}

/**
 * 'paper': weights ~ N(0, 0.01^2) as in section 5 of the paper; 'glorot': Glorot-uniform.
 * Biases start at 0. Random draws happen in tfjs-core's JS, so they are identical on every backend.
 */
export function createVaeParams(
  s: VaeShape,
  init: 'paper' | 'glorot',
  seed: number,
  runTag = ''
): VaeParams {
  const shapes = paramShapes(s)
  const entries = PARAM_NAMES.map((name, i) => {
    const shape = shapes[name]
    const value = tf.tidy(() => {
      if (shape.length === 1) return tf.zeros(shape)
      if (init === 'paper') return tf.randomNormal(shape, 0, 0.01, 'float32', seed + i)
      const limit = Math.sqrt(6 / (shape[0] + shape[1]))
      return tf.randomUniform(shape, -limit, limit, 'float32', seed + i)
    })
    const variable = tf.variable(value, true, `${runTag}${name}_${++variableCount}`)
    value.dispose() // the variable holds its own reference to the data
    return [name, variable] as const
  })
  return Object.fromEntries(entries) as unknown as VaeParams
}

export function paramList(p: VaeParams): tf.Variable[] {
  return PARAM_NAMES.map((n) => p[n])
}

export function disposeParams(p: VaeParams): void {
  for (const v of paramList(p)) v.dispose()
}

/** q(z|x): h = tanh(W1 x + b1); mu = W2 h + b2; log sigma^2 = W3 h + b3. Shapes [batch, latent]. */
export function encode(
  p: VaeParams,
  x: tf.Tensor2D,
  matMul: MatMul
): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
  const h = denseLayer(matMul, x, p.W1 as tf.Tensor2D, p.b1 as tf.Tensor1D, 'tanh')
  const mu = denseLayer(matMul, h, p.W2 as tf.Tensor2D, p.b2 as tf.Tensor1D, 'linear')
  const logVar = denseLayer(matMul, h, p.W3 as tf.Tensor2D, p.b3 as tf.Tensor1D, 'linear')
  return { mu, logVar }
}

/** z = mu + sigma * eps with eps ~ N(0, I): the reparameterisation trick (section 2.4). */
export function reparameterize(
  mu: tf.Tensor2D,
  logVar: tf.Tensor2D,
  eps: tf.Tensor2D
): tf.Tensor2D {
  return fused(FUSED_KERNELS.reparameterize, { mu, logVar, eps }, {}, () =>
    tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps))
  ) as tf.Tensor2D
}

/** p(x|z): h' = tanh(W4 z + b4); logits = W5 h' + b5. Returns logits [batch, 784]. */
export function decode(p: VaeParams, z: tf.Tensor2D, matMul: MatMul): tf.Tensor2D {
  const h = denseLayer(matMul, z, p.W4 as tf.Tensor2D, p.b4 as tf.Tensor1D, 'tanh')
  return denseLayer(matMul, h, p.W5 as tf.Tensor2D, p.b5 as tf.Tensor1D, 'linear')
}
