import * as tf from '@tensorflow/tfjs-core'
import type { TrainConfig } from '../../api/contract'

export const DEFAULT_LR: Record<TrainConfig['optimizer'], number> = { adam: 1e-3, adagrad: 0.01 }

export function learningRate(cfg: Pick<TrainConfig, 'optimizer' | 'lr'>): number {
  return cfg.lr ?? DEFAULT_LR[cfg.optimizer]
}

export function createOptimizer(cfg: Pick<TrainConfig, 'optimizer' | 'lr'>): tf.Optimizer {
  const lr = learningRate(cfg)
  // The paper's Adagrad starts from a zero accumulator; tfjs's default of 0.1 would damp early steps.
  return cfg.optimizer === 'adam' ? tf.train.adam(lr) : tf.train.adagrad(lr, 1e-8)
}
