import { describe, expect, it } from 'vitest'
import { TrainConfigSchema } from '../../../src-main/common/contract'
import {
  burdaPreset,
  defaultSweepForm,
  formFromConfig,
  paperPreset,
  presetForm,
  restoreForm,
  parseList,
  validateSweepForm
} from '../../../src-renderer/model/sweepForm'

describe('sweepForm', () => {
  it('starts from the schema defaults; both presets are valid 4-run sweeps saying what they are', () => {
    const f = defaultSweepForm()
    expect(f).toMatchObject({
      hidden: '500',
      batchSize: '100',
      epochs: '10',
      optimizer: 'adam',
      backend: 'auto',
      dataset: 'mnist'
    })
    const paper = validateSweepForm(paperPreset(), 60000)
    expect(paper.ok).toBe(true)
    if (paper.ok) {
      expect(paper.runCount).toBe(4)
      expect(paper.request.grid).toMatchObject({
        latentDim: [2, 5, 10, 50],
        beta: [1],
        seed: [1],
        hidden: [500],
        lr: [0.02],
        arch: ['mlp'],
        objective: ['elbo']
      })
      // As published: Adagrad, N(0, 0.01^2), the prior as weight decay, 10^8 samples.
      expect(paper.request.base).toMatchObject({
        optimizer: 'adagrad',
        init: 'paper',
        epochs: 1667,
        batchSize: 100
      })
      expect(paper.request.base.weightDecay).toBeCloseTo(1 / 60000)
    }
    const modern = validateSweepForm(presetForm('modern'), 60000)
    expect(modern.ok && modern.request.base).toMatchObject({
      optimizer: 'adam',
      init: 'torch',
      epochs: 10,
      weightDecay: 0
    })
    expect(modern.ok && modern.request.grid.lr).toBeUndefined()
  })

  it('shows every error at once, range errors beside text errors', () => {
    const v = validateSweepForm({ ...defaultSweepForm(), latentDim: 'x', epochs: '0', beta: '-1' })
    expect(v.ok).toBe(false)
    if (!v.ok) {
      expect(v.errors.latentDim).toMatch(/not a number/)
      expect(v.errors.epochs).toMatch(/at least 1/)
      expect(v.errors.beta).toMatch(/>= 0/)
    }
  })

  it('flags a training limit above the dataset, a blank sweep name, and too few images for a batch', () => {
    const bad = (patch: Partial<ReturnType<typeof defaultSweepForm>>) => {
      const v = validateSweepForm({ ...defaultSweepForm(), ...patch }, 60000)
      return v.ok ? {} : v.errors
    }
    expect(bad({ limitTrain: '70000' }).limitTrain).toMatch(/60,000 training images/)
    expect(bad({ sweepName: '   ' }).sweepName).toMatch(/blank/)
    expect(bad({ sweepName: '' }).sweepName).toBeUndefined()
    expect(bad({ limitTrain: '50' }).batchSize).toMatch(/one batch of 100/)
  })

  it("clones a run's settings into the form and restores a remembered form", () => {
    const f = formFromConfig(
      TrainConfigSchema.parse({ latentDim: 5, hidden: 64, beta: 4, limitTrain: 500, lr: 0.01 })
    )
    expect(f).toMatchObject({
      latentDim: '5',
      hidden: '64',
      beta: '4',
      limitTrain: '500',
      lr: '0.01'
    })
    expect(restoreForm(JSON.stringify(f))).toEqual(f)
    expect(restoreForm('{"latentDim": 3}')).toBeNull()
    expect(restoreForm('not json')).toBeNull()
  })

  it('reads "200,200" as one network of two layers and "500/200,200" as a sweep of two networks', () => {
    const one = validateSweepForm({ ...defaultSweepForm(), latentDim: '10', hidden: '200,200' })
    expect(one.ok && one.runs.map((r) => r.hidden)).toEqual([[200, 200]])
    const two = validateSweepForm({ ...defaultSweepForm(), latentDim: '10', hidden: '500/200,200' })
    expect(two.ok && two.runs.map((r) => r.hidden)).toEqual([500, [200, 200]])
    const bad = validateSweepForm({ ...defaultSweepForm(), hidden: '10,x' })
    expect(!bad.ok && bad.errors.hidden).toMatch(/whole numbers/)
  })

  it('makes a grid of objectives and k, with k only on the IWAE runs', () => {
    const v = validateSweepForm({
      ...defaultSweepForm(),
      latentDim: '10',
      objective: 'elbo,iwae',
      k: '1, 5, 50'
    })
    expect(v.ok && v.runs.map((r) => `${r.objective} ${r.k ?? '-'}`)).toEqual([
      'elbo -',
      'iwae 1',
      'iwae 5',
      'iwae 50'
    ])
    const elboOnly = validateSweepForm({ ...defaultSweepForm(), objective: 'elbo', k: 'x' })
    expect(elboOnly.ok).toBe(true) // k is not asked for without IWAE
    const beta = validateSweepForm({ ...defaultSweepForm(), objective: 'iwae', beta: '4' })
    expect(!beta.ok && beta.errors.beta).toMatch(/IWAE/)
  })

  it('has a conv architecture without hidden sizes, and the Burda et al. preset', () => {
    const conv = validateSweepForm({ ...defaultSweepForm(), latentDim: '10', arch: 'conv' })
    expect(conv.ok && conv.runs.map((r) => r.arch)).toEqual(['conv'])
    const v = validateSweepForm(burdaPreset())
    expect(v.ok).toBe(true)
    if (v.ok)
      expect(v.runs[0]).toMatchObject({
        latentDim: 50,
        hidden: [200, 200],
        pixels: 'dynamic',
        objective: 'iwae',
        k: 5,
        evalIwae: 5000
      })
  })

  it('parses lists with commas, spaces or semicolons and names a bad entry', () => {
    expect(parseList('2, 5 10;50', 'latent dim')).toEqual({ values: [2, 5, 10, 50] })
    expect(parseList('2, x', 'latent dim')).toEqual({ error: '"x" is not a number' })
    expect(parseList('', 'seed')).toEqual({ error: 'give at least one seed' })
    expect(parseList('2,2', 'latent dim')).toHaveProperty('error')
  })

  it('counts every combination of the lists', () => {
    const v = validateSweepForm({
      ...defaultSweepForm(),
      latentDim: '2,10',
      beta: '1,4',
      seed: '1,2,3'
    })
    expect(v.runCount).toBe(12)
  })

  it('refuses what the contract refuses, on the field that is wrong', () => {
    const bad = (patch: Partial<ReturnType<typeof defaultSweepForm>>) => {
      const v = validateSweepForm({ ...defaultSweepForm(), ...patch })
      return v.ok ? {} : v.errors
    }
    expect(bad({ latentDim: '0' }).latentDim).toMatch(/at least 1/)
    expect(bad({ latentDim: '2.5' }).latentDim).toMatch(/whole number/)
    expect(bad({ epochs: '' }).epochs).toBe('required')
    expect(bad({ batchSize: 'ten' }).batchSize).toMatch(/not a number/)
    expect(bad({ lr: '-1' }).lr).toMatch(/positive/)
    expect(bad({ beta: '-1' }).beta).toMatch(/>= 0/)
    expect(bad({ limitTrain: '0' }).limitTrain).toMatch(/at least 1/)
    expect(bad({ weightDecay: 'lots' }).weightDecay).toMatch(/prior/)
    expect(
      bad({
        latentDim: Array.from({ length: 40 }, (_, i) => i + 1).join(','),
        seed: Array.from({ length: 30 }, (_, i) => i).join(',')
      }).latentDim
    ).toMatch(/at most 1000 runs/)
  })

  it('turns weight decay "prior" into 1 / training images, honouring the limit', () => {
    const v = validateSweepForm(
      { ...defaultSweepForm(), weightDecay: 'prior', limitTrain: '3000' },
      60000
    )
    expect(v.ok && v.request.base.weightDecay).toBeCloseTo(1 / 3000)
    const all = validateSweepForm({ ...defaultSweepForm(), weightDecay: 'prior' }, 60000)
    expect(all.ok && all.request.base.weightDecay).toBeCloseTo(1 / 60000)
  })

  it('passes the quick e2e sweep: latent 2,5, one epoch, 3,000 images', () => {
    const v = validateSweepForm({
      ...defaultSweepForm(),
      latentDim: '2, 5',
      epochs: '1',
      limitTrain: '3000',
      hidden: '100',
      sweepName: 'quick'
    })
    expect(v.ok).toBe(true)
    if (v.ok)
      expect(v.request).toMatchObject({
        sweepName: 'quick',
        grid: { latentDim: [2, 5], hidden: [100] },
        base: { epochs: 1, limitTrain: 3000 }
      })
  })
})
