// What the figures, the latent explorer and KL per dimension need of a VAE: q(z|x) and p(x|z).
// Every architecture's VaeModel (vaeModel.ts: the MLPs and the conv VAE) is one already.
import type { TrainConfig } from '../../common/contract'
import { modelFromCheckpoint } from '../train/checkpoint'
import { disposeModel, type ModelEnv, type VaeModel } from './vaeModel'

export type LatentModel = Pick<VaeModel, 'latentDim' | 'encode' | 'decode'>

/** The trainer's model as a LatentModel: the very functions it trains with. */
export function latentModel(m: VaeModel): LatentModel {
  return m
}

/**
 * A run's model with the weights of a stored checkpoint, on the active backend (`env`: its
 * matMul and native kernels), built by the same code the trainer uses; `dispose` frees its
 * variables.
 */
export function loadLatentModel(
  cfg: Pick<TrainConfig, 'arch' | 'hidden' | 'latentDim' | 'init' | 'seed'>,
  blob: Uint8Array,
  what: string,
  env: ModelEnv
): LatentModel & { dispose(): void } {
  const model = modelFromCheckpoint(cfg, blob, what, env)
  return {
    latentDim: model.latentDim,
    encode: (x) => model.encode(x),
    decode: (z) => model.decode(z),
    dispose: () => disposeModel(model)
  }
}
