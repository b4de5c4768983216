// Initial parameter values. Draws happen in tfjs-core's JavaScript (seeded), so they are identical
// on every backend; each tensor gets its own seed, so one layer's draw never shifts another's.
import * as tf from '@tensorflow/tfjs-core'
import type { InitScheme } from '../../common/contract'

/** A parameter tensor to initialise: its shape and the fan-in of the layer it belongs to. */
export interface ParamSpec {
  kind: 'weight' | 'bias'
  shape: number[]
  /** Inputs feeding one output unit: `in` for a dense layer, k*k*C_in for a conv filter. */
  fanIn: number
  /** Weights only: outputs fed by one input unit (Glorot averages the two). */
  fanOut: number
}

/**
 * - 'torch': PyTorch nn.Linear / nn.Conv2d's default, kaiming_uniform_(a = sqrt(5)) for weights,
 *   which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for biases.
 * - 'glorot': Glorot & Bengio (2010) uniform, U(+-sqrt(6 / (fan_in + fan_out))), biases 0.
 * - 'paper': Kingma & Welling (2013), section 5: weights ~ N(0, 0.01^2), biases 0.
 */
export function initialValue(scheme: InitScheme, p: ParamSpec, seed: number): tf.Tensor {
  // A layer's weight and bias share its fan-in: PyTorch draws both with bound 1/sqrt(fan_in).
  if (scheme === 'torch') {
    const bound = 1 / Math.sqrt(p.fanIn)
    return tf.randomUniform(p.shape, -bound, bound, 'float32', seed)
  }
  if (p.kind === 'bias') return tf.zeros(p.shape)
  if (scheme === 'paper') return tf.randomNormal(p.shape, 0, 0.01, 'float32', seed)
  const limit = Math.sqrt(6 / (p.fanIn + p.fanOut))
  return tf.randomUniform(p.shape, -limit, limit, 'float32', seed)
}

/** A trainable tensor and the name it has in checkpoints and equations (W1, b1, W2, ...). */
export interface NamedVariable {
  name: string
  variable: tf.Variable
}

// tfjs variable names are global per tf instance; a counter keeps several models apart.
let variableCount = 0

/**
 * Creates the variables of `specs` in order. Tensor i (0-based) draws with seed `seed + i`, so the
 * paper's one-layer MLP (W1, b1, ..., W5, b5) starts exactly as it did before deeper models existed.
 */
export function createVariables(
  specs: readonly (ParamSpec & { name: string })[],
  init: InitScheme,
  seed: number,
  runTag = ''
): NamedVariable[] {
  return specs.map((spec, i) => {
    const value = tf.tidy(() => initialValue(init, spec, seed + i))
    const variable = tf.variable(value, true, `${runTag}${spec.name}_${++variableCount}`)
    value.dispose() // the variable holds its own reference to the data
    return { name: spec.name, variable }
  })
}

/** The weight and bias of layer `n` (named Wn, bn): a dense layer [in, out] or a conv filter. */
export function layerSpecs(
  n: number,
  weightShape: number[],
  outputs: number,
  fanIn: number,
  fanOut: number
): (ParamSpec & { name: string })[] {
  return [
    { name: `W${n}`, kind: 'weight', shape: weightShape, fanIn, fanOut },
    { name: `b${n}`, kind: 'bias', shape: [outputs], fanIn, fanOut }
  ]
}
