// One interface over the architectures (vae.ts: MLP; convVae.ts: conv), so training, evaluation,
// figures and checkpoints never branch on the architecture.
import * as tf from '@tensorflow/tfjs-core'
import type { Architecture, InitScheme, TrainConfig } from '../../common/contract'
import type { BlasAddon } from '../backend/blasKernels'
import { nativeIm2Col } from '../backend/convKernels'
import { loopIm2Col, stockIm2Col, type ConvOps } from './conv'
import { createConvVaeParams, decodeConv, encodeConv } from './convVae'
import type { MatMul } from './dense'
import type { NamedVariable } from './init'
import { createVaeParams, decode, encode, hiddenLayers, INPUT_DIM } from './vae'

export interface VaeModel {
  readonly latentDim: number
  /** Every trainable tensor with its checkpoint name, W1, b1, W2, ... in equation order. */
  readonly params: readonly NamedVariable[]
  /** q(z|x) for x [rows, 784]: mu and log sigma^2, [rows, latent]. */
  encode(x: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D }
  /** p(x|z) for z [rows, latent]: Bernoulli logits [rows, 784]. */
  decode(z: tf.Tensor2D): tf.Tensor2D
  /**
   * Rows one evaluation pass may decode at once. The conv decoder holds ~150,000 floats of
   * activations and patches per row (600 KB), the MLP's a few thousand.
   */
  readonly evalRows: number
}

/** What determines the parameters' shapes. */
export interface ModelSpec {
  arch: Architecture
  /** MLP only: units of each tanh layer. */
  hidden: number[]
  latentDim: number
}

export const modelSpecOf = (
  cfg: Pick<TrainConfig, 'arch' | 'hidden' | 'latentDim'>
): ModelSpec => ({
  arch: cfg.arch,
  hidden: hiddenLayers(cfg.hidden),
  latentDim: cfg.latentDim
})

/** The backend's kernels: its dense matMul and, on wasm-blas, the native add-on. */
export interface ModelEnv {
  matMul: MatMul
  blas: BlasAddon | null
}

/**
 * How the conv VAE convolves on the active backend: im2col + matMul with the add-on's patch
 * kernels (wasm-blas), or with JavaScript loops where tensors read synchronously (cpu, wasm:
 * tfjs-wasm has no Conv2DBackpropFilter, and tfjs's slices and pads copy element by element on
 * both); elsewhere (GPU backends) tfjs's conv kernels, or its ops if a gradient kernel is missing.
 */
function convOpsFor(env: ModelEnv): ConvOps {
  const native = nativeIm2Col(env.blas)
  if (native) return { kind: 'im2col', matMul: env.matMul, patches: native }
  const backend = tf.getBackend()
  if (backend === 'cpu' || backend === 'wasm')
    return { kind: 'im2col', matMul: env.matMul, patches: loopIm2Col }
  const kernels = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']
  return kernels.every((k) => tf.getKernel(k, backend))
    ? { kind: 'tfjs', matMul: env.matMul }
    : { kind: 'im2col', matMul: env.matMul, patches: stockIm2Col }
}

export function createVaeModel(
  spec: ModelSpec,
  init: InitScheme,
  seed: number,
  env: ModelEnv
): VaeModel {
  if (spec.arch === 'conv') {
    const p = createConvVaeParams(spec.latentDim, init, seed)
    const ops = convOpsFor(env)
    return {
      latentDim: spec.latentDim,
      params: p.named,
      encode: (x) => encodeConv(p, x, ops),
      decode: (z) => decodeConv(p, z, ops),
      evalRows: 500
    }
  }
  const p = createVaeParams(
    { inputDim: INPUT_DIM, hidden: spec.hidden, latentDim: spec.latentDim },
    init,
    seed
  )
  return {
    latentDim: spec.latentDim,
    params: p.named,
    encode: (x) => encode(p, x, env.matMul),
    decode: (z) => decode(p, z, env.matMul),
    evalRows: 4000
  }
}

export const modelVariables = (m: VaeModel): tf.Variable[] => m.params.map((p) => p.variable)

export function disposeModel(m: VaeModel): void {
  for (const p of m.params) p.variable.dispose()
}
