import { describe, expect, it } from 'vitest'
import { epochStats, formatStat, seedGroups, stat } from '../../../src-main/common/seedGroups'

const run = (id: number, latent: number, seed: number, extra: Record<string, unknown> = {}) => ({
  id,
  name: `latent ${latent}, seed ${seed}`,
  latent,
  config: { latentDim: latent, hidden: 500, seed, ...extra }
})

describe('stat', () => {
  it('gives the mean, the sample sd (n - 1) and n on hand-made values', () => {
    const s = stat([86, 88, 90])!
    expect(s.mean).toBe(88)
    expect(s.sd).toBe(2) // sqrt(((-2)^2 + 0 + 2^2) / 2)
    expect(s.n).toBe(3)
    expect(stat([4, 4, 4, 8])).toEqual({ mean: 5, sd: 2, n: 4 })
  })

  it('ignores missing values, gives sd 0 for one value and null for none', () => {
    expect(stat([null, 5, undefined, NaN])).toEqual({ mean: 5, sd: 0, n: 1 })
    expect(stat([null, undefined])).toBeNull()
    expect(formatStat(stat([2.5, 3.5]))).toBe('3.00 ± 0.71')
    expect(formatStat(stat([7]))).toBe('7.00')
    expect(formatStat(null)).toBe('—')
  })
})

describe('seedGroups', () => {
  it('groups runs that differ only in seed, whatever the order of their config fields', () => {
    const reordered = {
      id: 6,
      name: 'latent 2, seed 3',
      latent: 2,
      config: { seed: 3, hidden: 500, latentDim: 2 }
    }
    const groups = seedGroups([
      run(1, 2, 1),
      run(2, 5, 1),
      run(3, 2, 2),
      run(4, 5, 2),
      run(5, 2, 1, { beta: 4 }),
      reordered
    ])
    expect(groups.map((g) => [g.label, g.runIds, g.seeds])).toEqual([
      // Two groups whose runs read the same are told apart by their first run.
      ['latent 2 · #1', [1, 3, 6], [1, 2, 3]],
      ['latent 5', [2, 4], [1, 2]],
      ['latent 2 · #5', [5], [1]]
    ])
  })

  it('leaves runs that differ in anything else apart (epochs, dataset, pixels)', () => {
    const groups = seedGroups([
      run(1, 2, 1),
      run(2, 2, 2, { epochs: 20 }),
      run(3, 2, 3, { dataset: 'fashion' }),
      run(4, 2, 4, { pixels: 'dynamic' })
    ])
    expect(groups).toHaveLength(4)
  })
})

describe('epochStats', () => {
  it('averages each epoch over the runs that reached it', () => {
    const a = [
      { epoch: 1, v: 10 },
      { epoch: 2, v: 8 }
    ]
    const b = [
      { epoch: 1, v: 12 },
      { epoch: 2, v: 6 },
      { epoch: 3, v: 5 }
    ]
    expect(epochStats([a, b], (e) => e.v)).toEqual([
      { epoch: 1, stat: { mean: 11, sd: Math.SQRT2, n: 2 } },
      { epoch: 2, stat: { mean: 7, sd: Math.SQRT2, n: 2 } },
      { epoch: 3, stat: { mean: 5, sd: 0, n: 1 } }
    ])
  })
})
