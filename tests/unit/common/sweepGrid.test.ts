import { describe, expect, it } from 'vitest'
import {
  expandGrid,
  formatHidden,
  parseHiddenGrid,
  runName,
  variedFields
} from '../../../src-main/common/sweepGrid'

describe('sweepGrid', () => {
  it('expands every combination, in the order the fields were given', () => {
    expect(expandGrid({ latentDim: [2, 10], seed: [1, 2] })).toEqual([
      { latentDim: 2, seed: 1 },
      { latentDim: 2, seed: 2 },
      { latentDim: 10, seed: 1 },
      { latentDim: 10, seed: 2 }
    ])
  })

  it('gives k to the IWAE runs only when the grid varies the objective', () => {
    expect(expandGrid({ latentDim: [10], objective: ['elbo', 'iwae'], k: [1, 5, 50] })).toEqual([
      { latentDim: 10, objective: 'elbo' },
      { latentDim: 10, objective: 'iwae', k: 1 },
      { latentDim: 10, objective: 'iwae', k: 5 },
      { latentDim: 10, objective: 'iwae', k: 50 }
    ])
    // One objective: k stays, for the contract to refuse k with the ELBO.
    expect(expandGrid({ latentDim: [10], objective: ['elbo'], k: [5] })).toEqual([
      { latentDim: 10, objective: 'elbo', k: 5 }
    ])
  })

  it('gives hidden sizes to the MLP runs only when the grid varies the architecture', () => {
    expect(
      expandGrid({ latentDim: [2], arch: ['mlp', 'conv'], hidden: [500, [200, 200]] })
    ).toEqual([
      { latentDim: 2, arch: 'mlp', hidden: 500 },
      { latentDim: 2, arch: 'mlp', hidden: [200, 200] },
      { latentDim: 2, arch: 'conv' }
    ])
  })

  it('reads commas as the layers of one network and slashes as the networks of a sweep', () => {
    expect(parseHiddenGrid('500')).toEqual([500])
    expect(parseHiddenGrid('200,200')).toEqual([[200, 200]])
    expect(parseHiddenGrid('500/200,200')).toEqual([500, [200, 200]])
    expect(parseHiddenGrid(' 500 / 200, 200 ')).toEqual([500, [200, 200]])
    expect(parseHiddenGrid('10,x')).toEqual([[10, NaN]])
    expect(parseHiddenGrid('500/')).toEqual([500, NaN])
    expect(parseHiddenGrid('1e3')).toEqual([NaN])
    expect(formatHidden([200, 200])).toBe('200,200')
    expect(formatHidden(500)).toBe('500')
  })

  it('names runs by the fields that vary, the latent dim always, in a fixed field order', () => {
    const grid = { k: [1, 5], latentDim: [10], objective: ['iwae' as const], seed: [1, 2] }
    expect(variedFields(grid)).toEqual(['latentDim', 'seed', 'k'])
    expect(runName({ latentDim: 10, seed: 2, k: 5, objective: 'iwae' }, variedFields(grid))).toBe(
      'latent 10, seed 2, k 5'
    )
    expect(runName({ latentDim: 2, hidden: [200, 200] }, ['latentDim', 'hidden'])).toBe(
      'latent 2, hidden 200,200'
    )
  })
})
