// The convolutional VAE of TensorFlow's tutorial "Convolutional Variational Autoencoder"
// (tensorflow.org/tutorials/generative/cvae): two 3x3 stride-2 convolutions with 32 and 64
// channels and ReLU, then a dense layer to mu and log sigma^2; the decoder mirrors it with a
// dense layer to 7x7x32 and 3x3 transposed convolutions (64, 32, then 1 channel of logits).
// The tutorial's encoder ends in one dense layer of 2 * latent outputs; here mu and log sigma^2
// get one layer each, as in the MLP. Its "same" transposed convolutions are written with
// PyTorch's padding = 1, output_padding = 1, so bench/pytorch_vae.py builds exactly this network.
import * as tf from '@tensorflow/tfjs-core'
import type { InitScheme } from '../../common/contract'
import { conv2d, conv2dTranspose, convOutputSize, type ConvOps } from './conv'
import { denseLayer } from './dense'
import { createVariables, layerSpecs, type NamedVariable } from './init'

export const CONV_IMAGE = 28
const K = 3

interface Layer {
  W: tf.Variable
  b: tf.Variable
}

export interface ConvVaeParams {
  conv1: Layer // W [3, 3, 1, 32]      28x28x1 -> 13x13x32
  conv2: Layer // W [3, 3, 32, 64]     -> 6x6x64
  mu: Layer // W [2304, latent]
  logVar: Layer // W [2304, latent]
  fc: Layer // W [latent, 1568]       -> 7x7x32
  deconv1: Layer // W [32, 3, 3, 64]   -> 14x14x64
  deconv2: Layer // W [64, 3, 3, 32]   -> 28x28x32
  deconv3: Layer // W [32, 3, 3, 1]    -> 28x28x1 logits
  named: NamedVariable[]
}

const H1 = convOutputSize(CONV_IMAGE, K, 2, 0) // 13
const H2 = convOutputSize(H1, K, 2, 0) // 6
const FLAT = H2 * H2 * 64 // 2304

/**
 * Fan-ins as PyTorch computes them: k*k*C_in for Conv2d, and for ConvTranspose2d k*k*C_out
 * (its weight is [C_in, C_out, k, k] and fan-in is read from dimension 1), so '--init torch'
 * draws what nn.ConvTranspose2d's default would.
 */
export function createConvVaeParams(
  latentDim: number,
  init: InitScheme,
  seed: number,
  runTag = ''
): ConvVaeParams {
  const conv = (n: number, cin: number, cout: number) =>
    layerSpecs(n, [K, K, cin, cout], cout, K * K * cin, K * K * cout)
  const deconv = (n: number, cin: number, cout: number) =>
    layerSpecs(n, [cin, K, K, cout], cout, K * K * cout, K * K * cin)
  const dense = (n: number, fin: number, fout: number) =>
    layerSpecs(n, [fin, fout], fout, fin, fout)
  const specs = [
    ...conv(1, 1, 32),
    ...conv(2, 32, 64),
    ...dense(3, FLAT, latentDim),
    ...dense(4, FLAT, latentDim),
    ...dense(5, latentDim, 7 * 7 * 32),
    ...deconv(6, 32, 64),
    ...deconv(7, 64, 32),
    ...deconv(8, 32, 1)
  ]
  const named = createVariables(specs, init, seed, runTag)
  const layer = (n: number): Layer => ({
    W: named[2 * (n - 1)].variable,
    b: named[2 * (n - 1) + 1].variable
  })
  return {
    conv1: layer(1),
    conv2: layer(2),
    mu: layer(3),
    logVar: layer(4),
    fc: layer(5),
    deconv1: layer(6),
    deconv2: layer(7),
    deconv3: layer(8),
    named
  }
}

const w4 = (l: Layer) => l.W as tf.Tensor4D
const b1 = (l: Layer) => l.b as tf.Tensor1D

/** q(z|x): h1 = relu(conv(x)); h2 = relu(conv(h1)); mu = W h2 + b; log sigma^2 = W' h2 + b'. */
export function encodeConv(
  p: ConvVaeParams,
  x: tf.Tensor2D,
  ops: ConvOps
): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
  const image = tf.reshape(x, [x.shape[0], CONV_IMAGE, CONV_IMAGE, 1]) as tf.Tensor4D
  const h1 = tf.relu(conv2d(image, w4(p.conv1), b1(p.conv1), 2, 0, ops)) // [B, 13, 13, 32]
  const h2 = tf.relu(conv2d(h1, w4(p.conv2), b1(p.conv2), 2, 0, ops)) // [B, 6, 6, 64]
  const flat = tf.reshape(h2, [x.shape[0], FLAT]) as tf.Tensor2D
  const dense = (l: Layer) =>
    denseLayer(ops.matMul, flat, l.W as tf.Tensor2D, l.b as tf.Tensor1D, 'linear')
  return { mu: dense(p.mu), logVar: dense(p.logVar) } // [B, latent]
}

/** p(x|z): g0 = relu(W z + b) as 7x7x32; g1, g2 = relu(deconv(.)); logits = deconv(g2). [B, 784]. */
export function decodeConv(p: ConvVaeParams, z: tf.Tensor2D, ops: ConvOps): tf.Tensor2D {
  const rows = z.shape[0]
  const fc = denseLayer(ops.matMul, z, p.fc.W as tf.Tensor2D, p.fc.b as tf.Tensor1D, 'relu')
  const g0 = tf.reshape(fc, [rows, 7, 7, 32]) as tf.Tensor4D
  const g1 = tf.relu(conv2dTranspose(g0, w4(p.deconv1), b1(p.deconv1), 2, 1, 1, ops)) // [B, 14, 14, 64]
  const g2 = tf.relu(conv2dTranspose(g1, w4(p.deconv2), b1(p.deconv2), 2, 1, 1, ops)) // [B, 28, 28, 32]
  const logits = conv2dTranspose(g2, w4(p.deconv3), b1(p.deconv3), 1, 1, 0, ops) // [B, 28, 28, 1]
  return tf.reshape(logits, [rows, CONV_IMAGE * CONV_IMAGE]) as tf.Tensor2D
}
