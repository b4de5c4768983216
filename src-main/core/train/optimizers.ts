import * as tf from '@tensorflow/tfjs-core'
import type { TrainConfig } from '../../api/contract'
import type { BlasAddon } from '../backend/blasKernels'
import { createFusedOptimizer } from '../backend/fusedOptimizer'

export const DEFAULT_LR: Record<TrainConfig['optimizer'], number> = { adam: 1e-3, adagrad: 0.01 }

export function learningRate(cfg: Pick<TrainConfig, 'optimizer' | 'lr'>): number {
  return cfg.lr ?? DEFAULT_LR[cfg.optimizer]
}

// The paper's Adagrad starts from a zero accumulator; tfjs's default of 0.1 would damp early steps.
const ADAGRAD_INITIAL_ACCUMULATOR = 1e-8

/** tfjs's optimiser, or with the native add-on (wasm-blas) the same update fused into one pass. */
export function createOptimizer(cfg: Pick<TrainConfig, 'optimizer' | 'lr'>, blas: BlasAddon | null = null): tf.Optimizer {
  const lr = learningRate(cfg)
  if (blas) {
    return createFusedOptimizer(blas, {
      kind: cfg.optimizer,
      learningRate: lr,
      initialAccumulatorValue: cfg.optimizer === 'adagrad' ? ADAGRAD_INITIAL_ACCUMULATOR : undefined
    })
  }
  return cfg.optimizer === 'adam' ? tf.train.adam(lr) : tf.train.adagrad(lr, ADAGRAD_INITIAL_ACCUMULATOR)
}
