// The sweeps a new user is offered, each saying honestly what it is: the paper's experiment as
// published, the setting most code uses today (both keep the seed study's latent dims 2/5/10/50),
// and Burda et al.'s one-stochastic-layer IWAE model, to compare with their published table.
import type { TrainConfigInput } from './contract'
import type { SweepGrid } from './sweepRequest'

export interface SweepPreset {
  id: 'paper' | 'modern' | 'burda'
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
      "1e-3, PyTorch's default init, no weight decay, 10 epochs. Minutes per run.",
    grid: { latentDim: [2, 5, 10, 50] },
    base: {
      dataset: 'mnist',
      hidden: 500,
      batchSize: 100,
      samples: 1,
      optimizer: 'adam',
      init: 'torch',
      weightDecay: 0,
      epochs: 10
    },
    weightDecayPrior: false
  },
  burda: {
    id: 'burda',
    title: 'Burda et al. (2015): IWAE, one stochastic layer',
    description:
      'Their MNIST model: 784-200-200-50 tanh in encoder and decoder, dynamic binarisation, batch ' +
      '20, Adam, the IWAE objective with k = 5 (change objective and k to compare), evaluated with ' +
      'the k = 5000 bound on the test set. They trained 3,280 passes with a decaying learning ' +
      'rate; VAE Lab keeps Adam 1e-3 constant, so set the epochs for the night you have.',
    grid: { latentDim: [50] },
    base: {
      dataset: 'mnist',
      hidden: [200, 200],
      pixels: 'dynamic',
      batchSize: 20,
      samples: 1,
      optimizer: 'adam',
      objective: 'iwae',
      k: 5,
      evalIwae: 5000,
      weightDecay: 0,
      epochs: 100
    },
    weightDecayPrior: false
  }
}
