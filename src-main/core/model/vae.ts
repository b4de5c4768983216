// Kingma & Welling (2013), Appendix C: Gaussian MLP encoder, Bernoulli MLP decoder, with one
// deterministic tanh layer (the paper) or several (Burda et al. 2015 use 200-200); the decoder
// mirrors the encoder.
import * as tf from '@tensorflow/tfjs-core'
import type { InitScheme } from '../../common/contract'
import { FUSED_KERNELS, fused } from '../backend/fusedOps'
import { denseLayer, type Activation, type MatMul } from './dense'
import { createVariables, layerSpecs, type NamedVariable } from './init'

export const INPUT_DIM = 784

export interface VaeShape {
  inputDim: number
  /** Units of each tanh layer of the encoder, first to last: 500, or [200, 200]. */
  hidden: number | readonly number[]
  latentDim: number
}

/** One dense layer's parameters, y = act(x W + b) with W [in, out]. */
export interface Layer {
  W: tf.Variable
  b: tf.Variable
}

/** The parameters, in the order of the equations below. */
export interface VaeParams {
  encoder: Layer[] // h_l = tanh(h_{l-1} W + b), l = 1..L
  mu: Layer // mu = h_L W + b
  logVar: Layer // log sigma^2 = h_L W + b
  decoder: Layer[] // h'_l = tanh(h'_{l-1} W + b), h'_0 = z, sizes mirrored
  logits: Layer // logits = h'_L W + b
  /** The same tensors named W1, b1, W2, ... in that order (one layer: W1..b5, the paper's five). */
  named: NamedVariable[]
}

export const hiddenLayers = (h: VaeShape['hidden']): number[] =>
  typeof h === 'number' ? [h] : [...h]

/** Dense layer sizes [in, out] in equation order: encoder, mu, log sigma^2, decoder, logits. */
function layerShapes(s: VaeShape): [number, number][] {
  const h = hiddenLayers(s.hidden)
  const down = [s.inputDim, ...h]
  const up = [s.latentDim, ...h.slice().reverse()]
  const last = h[h.length - 1]
  return [
    ...h.map((units, l): [number, number] => [down[l], units]),
    [last, s.latentDim],
    [last, s.latentDim],
    ...h.map((_, l): [number, number] => [up[l], up[l + 1]]),
    [h[0], s.inputDim]
  ]
}

/** Initial weights (init.ts); tensor i of W1, b1, W2, ... draws with seed `seed + i`. */
export function createVaeParams(
  s: VaeShape,
  init: InitScheme,
  seed: number,
  runTag = ''
): VaeParams {
  const specs = layerShapes(s).flatMap(([fanIn, fanOut], l) =>
    layerSpecs(l + 1, [fanIn, fanOut], fanOut, fanIn, fanOut)
  )
  const named = createVariables(specs, init, seed, runTag)
  const layers: Layer[] = []
  for (let i = 0; i < named.length; i += 2)
    layers.push({ W: named[i].variable, b: named[i + 1].variable })
  const L = hiddenLayers(s.hidden).length
  return {
    encoder: layers.slice(0, L),
    mu: layers[L],
    logVar: layers[L + 1],
    decoder: layers.slice(L + 2, 2 * L + 2),
    logits: layers[2 * L + 2],
    named
  }
}

export function paramList(p: VaeParams): tf.Variable[] {
  return p.named.map((n) => n.variable)
}

export function disposeParams(p: { named: NamedVariable[] }): void {
  for (const n of p.named) n.variable.dispose()
}

// The backend's fused layer where it has one (webgpu), else matMul, add and the activation.
const dense = (layer: Layer, x: tf.Tensor2D, matMul: MatMul, act: Activation) =>
  denseLayer(matMul, x, layer.W as tf.Tensor2D, layer.b as tf.Tensor1D, act)

/** q(z|x): h_0 = x; h_l = tanh(W_l h_{l-1} + b_l); mu = W h_L + b; log sigma^2 = W' h_L + b'. */
export function encode(
  p: VaeParams,
  x: tf.Tensor2D,
  matMul: MatMul
): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
  let h = x // [batch, 784], then [batch, hidden_l]
  for (const layer of p.encoder) h = dense(layer, h, matMul, 'tanh')
  return { mu: dense(p.mu, h, matMul, 'linear'), logVar: dense(p.logVar, h, matMul, 'linear') } // [batch, latent]
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

/** p(x|z): h'_0 = z; h'_l = tanh(W_l h'_{l-1} + b_l); logits = W h'_L + b. Returns [batch, 784]. */
export function decode(p: VaeParams, z: tf.Tensor2D, matMul: MatMul): tf.Tensor2D {
  let h = z // [batch, latent], then [batch, hidden_l]
  for (const layer of p.decoder) h = dense(layer, h, matMul, 'tanh')
  return dense(p.logits, h, matMul, 'linear')
}
