import { describe, expect, it } from 'vitest'
import {
  defaultSweepForm,
  paperPreset,
  parseList,
  validateSweepForm
} from '../../../src-renderer/model/sweepForm'

describe('sweepForm', () => {
  it('starts from the schema defaults and the paper preset is a valid 4-run sweep', () => {
    const f = defaultSweepForm()
    expect(f).toMatchObject({
      hidden: '500',
      batchSize: '100',
      epochs: '10',
      optimizer: 'adam',
      backend: 'auto',
      dataset: 'mnist'
    })
    const v = validateSweepForm(paperPreset())
    expect(v.ok).toBe(true)
    if (v.ok) {
      expect(v.runCount).toBe(4)
      expect(v.request.grid).toEqual({
        latentDim: [2, 5, 10, 50],
        beta: [1],
        seed: [1],
        hidden: [500]
      })
      expect(v.request.base).toMatchObject({ epochs: 10, batchSize: 100, weightDecay: 0 })
      expect(v.request.base.lr).toBeUndefined()
    }
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
