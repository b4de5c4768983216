import * as tf from '@tensorflow/tfjs-core'
import type { TrainConfig } from '../../common/contract'
import type { BlasAddon } from '../backend/blasKernels'
import { createFusedOptimizer, isFusedOptimizer } from '../backend/fusedOptimizer'
import { createWebGpuOptimizer } from '../backend/webgpuOptimizer'

export const DEFAULT_LR: Record<TrainConfig['optimizer'], number> = { adam: 1e-3, adagrad: 0.01 }

export function learningRate(cfg: Pick<TrainConfig, 'optimizer' | 'lr'>): number {
  return cfg.lr ?? DEFAULT_LR[cfg.optimizer]
}

// The paper's Adagrad starts from a zero accumulator; tfjs's default of 0.1 would damp early steps.
const ADAGRAD_INITIAL_ACCUMULATOR = 1e-8

interface StockAdamInternals {
  accBeta1: tf.Variable
  accBeta2: tf.Variable
}

/**
 * Adam's running beta1^t, beta2^t. Checkpoints keep them because setWeights recomputes them with
 * pow(), which is not bit-equal to the float32 running product: a resumed run would drift by ~1e-8.
 */
export async function adamBetaPowers(optimizer: tf.Optimizer): Promise<[number, number] | null> {
  if (isFusedOptimizer(optimizer))
    return optimizer.config.kind === 'adam' ? optimizer.betaPowers : null
  const stock = optimizer as unknown as Partial<StockAdamInternals>
  if (!(stock.accBeta1 instanceof tf.Variable) || !(stock.accBeta2 instanceof tf.Variable))
    return null
  return [(await stock.accBeta1.data())[0], (await stock.accBeta2.data())[0]]
}

export function restoreAdamBetaPowers(optimizer: tf.Optimizer, powers: [number, number]): void {
  if (isFusedOptimizer(optimizer)) {
    optimizer.betaPowers = powers
    return
  }
  const stock = optimizer as unknown as Partial<StockAdamInternals>
  if (stock.accBeta1 instanceof tf.Variable && stock.accBeta2 instanceof tf.Variable) {
    tf.tidy(() => {
      stock.accBeta1?.assign(tf.scalar(powers[0]))
      stock.accBeta2?.assign(tf.scalar(powers[1]))
    })
  }
}

/**
 * tfjs's optimiser, or the same update fused into one pass: natively with the add-on (wasm-blas),
 * or in one WGSL dispatch per variable on webgpu (both keep tfjs's checkpoint format).
 */
export function createOptimizer(
  cfg: Pick<TrainConfig, 'optimizer' | 'lr'>,
  blas: BlasAddon | null = null,
  webgpu = false
): tf.Optimizer {
  const lr = learningRate(cfg)
  if (webgpu) {
    return createWebGpuOptimizer({
      kind: cfg.optimizer,
      learningRate: lr,
      initialAccumulatorValue: ADAGRAD_INITIAL_ACCUMULATOR
    })
  }
  if (blas) {
    return createFusedOptimizer(blas, {
      kind: cfg.optimizer,
      learningRate: lr,
      initialAccumulatorValue: cfg.optimizer === 'adagrad' ? ADAGRAD_INITIAL_ACCUMULATOR : undefined
    })
  }
  return cfg.optimizer === 'adam'
    ? tf.train.adam(lr)
    : tf.train.adagrad(lr, ADAGRAD_INITIAL_ACCUMULATOR)
}
