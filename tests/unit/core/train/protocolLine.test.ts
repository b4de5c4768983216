import { describe, expect, it } from 'vitest'
import { TrainConfigSchema, type TrainConfigInput } from '../../../../src-main/common/contract'
import { protocolLine } from '../../../../src-main/core/train/protocolLine'

const line = (over: Partial<TrainConfigInput>, dataset = { nTrain: 60000, nTest: 10000 }) =>
  protocolLine(
    {
      config: TrainConfigSchema.parse({ latentDim: 10, ...over }),
      backend: 'wasm-blas',
      codeVersion: '0.1.0+abc'
    },
    dataset
  )

describe('protocolLine', () => {
  it("says everything the paper's setting depends on, in one line", () => {
    expect(line({ init: 'paper', optimizer: 'adagrad', lr: 0.02, weightDecay: 1 / 60000 })).toBe(
      'MNIST (60,000 training, 10,000 test images), grey levels as Bernoulli targets; ' +
        'MLP 784-500-10 tanh, decoder 10-500-784; objective ELBO, L = 1, KL in closed form; ' +
        'init paper (W ~ N(0, 0.01²), b = 0); Adagrad, lr 0.02, batch 100, 10 epochs, weight decay 1.67e-5; ' +
        'test -ELBO with one posterior sample per image; seed 1; VAE Lab 0.1.0+abc on wasm-blas'
    )
  })

  it('names the architecture, objective, init and evaluation of the variants', () => {
    const iwae = line({
      hidden: [200, 200],
      latentDim: 50,
      objective: 'iwae',
      k: 5,
      pixels: 'dynamic',
      init: 'torch',
      batchSize: 20,
      evalIwae: 5000
    })
    expect(iwae).toContain('MLP 784-200-200-50 tanh, decoder 50-200-200-784')
    expect(iwae).toContain('objective IWAE bound (Burda et al. 2015), k = 5')
    expect(iwae).toContain("init torch (PyTorch's default: W, b ~ U(±1/√fan_in))")
    expect(iwae).toContain('dynamically binarised')
    expect(iwae).toContain('Adam, lr 0.001, batch 20')
    expect(iwae).toContain('IWAE bound with k = 5000')
    expect(line({ arch: 'conv' })).toContain("conv VAE after TensorFlow's CVAE tutorial")
    expect(line({ beta: 4, samples: 3 })).toContain(
      'objective ELBO, L = 3, KL in closed form, beta = 4'
    )
  })

  it('says when only part of the data was used', () => {
    expect(line({ limitTrain: 5000, limitTest: 1000 })).toMatch(
      /^MNIST \(first 5,000 of 60,000 training, first 1,000 of 10,000 test images\)/
    )
  })
})
