// What the figures, the latent explorer and KL per dimension need of a VAE: q(z|x) and p(x|z).
// The two functions below are the seam to the model code: when core/model's VaeModel interface
// lands (issue 11/18, which has encode and decode of its own and any architecture), `latentModel`
// becomes `(m) => m` and `loadLatentModel` calls `modelFromCheckpoint`; nothing else changes.
import type * as tf from '@tensorflow/tfjs-core'
import type { TrainConfig } from '../../common/contract'
import { assignParams } from '../train/checkpoint'
import type { MatMul } from './dense'
import type { Model } from './evaluate'
import { createVaeParams, decode, disposeParams, encode, INPUT_DIM } from './vae'

export interface LatentModel {
  readonly latentDim: number
  /** q(z|x) for x [rows, 784]: mu and log sigma^2, [rows, latent]. */
  encode(x: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D }
  /** p(x|z) for z [rows, latent]: Bernoulli logits [rows, 784]. */
  decode(z: tf.Tensor2D): tf.Tensor2D
}

/** The trainer's model as a LatentModel: the very functions it trains with. */
export function latentModel(m: Model): LatentModel {
  return {
    latentDim: m.latentDim,
    encode: (x) => encode(m.params, x, m.matMul),
    decode: (z) => decode(m.params, z, m.matMul)
  }
}

/**
 * A run's model with the weights of a stored checkpoint, on the active backend (`env`: its
 * matMul), built by the same code the trainer uses; `dispose` frees its variables.
 */
export function loadLatentModel(
  cfg: Pick<TrainConfig, 'hidden' | 'latentDim' | 'init' | 'seed'>,
  blob: Uint8Array,
  what: string,
  env: { matMul: MatMul }
): LatentModel & { dispose(): void } {
  const params = createVaeParams(
    { inputDim: INPUT_DIM, hidden: cfg.hidden, latentDim: cfg.latentDim },
    cfg.init,
    cfg.seed
  )
  try {
    assignParams(params, blob, what)
  } catch (e) {
    disposeParams(params)
    throw e
  }
  return {
    ...latentModel({ params, latentDim: cfg.latentDim, matMul: env.matMul }),
    dispose: () => disposeParams(params)
  }
}
