// The two sweeps a new user is offered, each saying honestly what it is: the paper's experiment as
// published, and the setting most code uses today. Both keep the seed study's latent dims 2/5/10/50.
import type { TrainConfigInput } from './contract'
import type { SweepGrid } from './sweepRequest'

export interface SweepPreset {
  id: 'paper' | 'modern'
  title: string
  /** One paragraph: what the preset does and where each value comes from. */
  description: string
  grid: SweepGrid & { latentDim: number[] }
  base: Partial<TrainConfigInput>
  /** Weight decay as the paper's N(0, I) prior: 1 / (training images), known once the data is. */
  weightDecayPrior: boolean
}

/** 10^8 training samples, where the paper's Figure 2 ends, in epochs of MNIST's 60,000 images. */
export const PAPER_EPOCHS = Math.round(1e8 / 60_000)

export const SWEEP_PRESETS: Record<SweepPreset['id'], SweepPreset> = {
  paper: {
    id: 'paper',
    title: 'Paper: Kingma & Welling (2013) as published',
    description:
      'Section 5 and Appendix C: 500 tanh hidden units, minibatch M = 100, L = 1, Adagrad with ' +
      'stepsize 0.02 (the paper chose from 0.01, 0.02 and 0.1), weights from N(0, 0.01²), weight ' +
      `decay as the N(0, I) prior, ${PAPER_EPOCHS.toLocaleString('en-US')} epochs (10⁸ training ` +
      'samples, where Figure 2 ends). Slow on purpose: hours per run.',
    grid: { latentDim: [2, 5, 10, 50] },
    base: {
      dataset: 'mnist',
      hidden: 500,
      batchSize: 100,
      samples: 1,
      optimizer: 'adagrad',
      lr: 0.02,
      init: 'paper',
      epochs: PAPER_EPOCHS
    },
    weightDecayPrior: true
  },
  modern: {
    id: 'modern',
    title: 'Modern default',
    description:
      'What most VAE code does today: 500 tanh hidden units, batch 100, Adam with learning rate ' +
      '1e-3, Glorot-uniform weights, no weight decay, 10 epochs. Minutes per run.',
    grid: { latentDim: [2, 5, 10, 50] },
    base: {
      dataset: 'mnist',
      hidden: 500,
      batchSize: 100,
      samples: 1,
      optimizer: 'adam',
      init: 'glorot',
      weightDecay: 0,
      epochs: 10
    },
    weightDecayPrior: false
  }
}
