import { describe, expect, it } from 'vitest'
import { minimalLatentDim } from '../../../../src-main/core/analysis/minimalLatentDim'

const digits = (f: (d: number) => number | null) => Array.from({ length: 10 }, (_, d) => f(d))

describe('minimalLatentDim', () => {
  // Digit d is best at dim 50 with -ELBO 100; dim 10 is 0.5 nats worse for even digits and 3 worse for odd
  // ones; dim 2 is 20 worse for all. So: even digits -> 10, odd digits -> 50 (tolerance 1).
  const runs = [
    { latentDim: 50, perDigit: digits(() => 100) },
    { latentDim: 2, perDigit: digits(() => 120) },
    { latentDim: 10, perDigit: digits((d) => (d % 2 === 0 ? 100.5 : 103)) }
  ]

  it("gives per digit the smallest dim within the tolerance of that digit's best", () => {
    const m = minimalLatentDim(runs)
    expect(m.dims).toEqual([2, 10, 50])
    expect(m.rows.map((r) => r.minimalDim)).toEqual(digits((d) => (d % 2 === 0 ? 10 : 50)))
    expect(m.rows.every((r) => r.bestDim === 50 && r.bestNelbo === 100)).toBe(true)
    expect(m.nelbo[0]).toEqual(digits(() => 120))
  })

  it('follows the tolerance: 5 nats lets dim 10 serve every digit, 25 lets dim 2', () => {
    expect(minimalLatentDim(runs, 5).rows.map((r) => r.minimalDim)).toEqual(digits(() => 10))
    expect(minimalLatentDim(runs, 25).rows.map((r) => r.minimalDim)).toEqual(digits(() => 2))
    expect(minimalLatentDim(runs, 0).rows.map((r) => r.minimalDim)).toEqual(digits(() => 50))
  })

  it('takes the best of several runs of one dim, and leaves a digit no run has as null', () => {
    const m = minimalLatentDim([
      { latentDim: 5, perDigit: digits((d) => (d === 3 ? null : 110)) },
      { latentDim: 5, perDigit: digits((d) => (d === 3 ? null : 104)) },
      { latentDim: 20, perDigit: digits((d) => (d === 3 ? null : 103.5)) }
    ])
    expect(m.dims).toEqual([5, 20])
    expect(m.nelbo[0][0]).toBe(104)
    expect(m.rows[0]).toEqual({
      digit: 0,
      minimalDim: 5,
      bestDim: 20,
      bestNelbo: 103.5,
      minimalRow: 0
    })
    expect(m.rows[3]).toEqual({
      digit: 3,
      minimalDim: null,
      bestDim: null,
      bestNelbo: null,
      minimalRow: null
    })
  })

  it('keeps one row per named run where runs share a dim, each row naming its run', () => {
    const m = minimalLatentDim([
      { latentDim: 5, perDigit: digits(() => 110), label: 'latent 5 · seed 1' },
      { latentDim: 5, perDigit: digits(() => 104), label: 'latent 5 · seed 2' },
      { latentDim: 20, perDigit: digits(() => 103.5), label: 'latent 20' }
    ])
    expect(m.dims).toEqual([5, 5, 20])
    expect(m.labels).toEqual(['latent 5 · seed 1', 'latent 5 · seed 2', 'latent 20'])
    expect(m.nelbo.map((r) => r[0])).toEqual([110, 104, 103.5])
    expect(m.rows[0]).toMatchObject({ minimalDim: 5, minimalRow: 1 })
  })

  it('rejects a negative tolerance', () => {
    expect(() => minimalLatentDim(runs, -1)).toThrow(/tolerance/)
  })
})
