import { describe, expect, it } from 'vitest'
import {
  expandGrid,
  MAX_SWEEP_RUNS,
  SweepRequestSchema
} from '../../../src-main/common/sweepRequest'

const issue = (input: unknown) => {
  const r = SweepRequestSchema.safeParse(input)
  if (r.success) throw new Error('expected a refusal')
  return { path: r.error.issues[0].path.join('.'), message: r.error.issues[0].message }
}

describe('SweepRequestSchema', () => {
  it('gives one valid config per combination, with the values that vary', () => {
    const r = SweepRequestSchema.parse({
      base: { epochs: 2 },
      grid: { latentDim: [2, 5], beta: [1, 4] },
      sweepName: 'grid'
    })
    expect(r.runs.map((x) => [x.config.latentDim, x.config.beta, x.config.epochs])).toEqual([
      [2, 1, 2],
      [2, 4, 2],
      [5, 1, 2],
      [5, 4, 2]
    ])
    expect(r.runs[1].combo).toEqual({ latentDim: 2, beta: 4 })
  })

  it('names the config field of a bad grid value, with that field’s own message', () => {
    expect(issue({ base: {}, grid: { latentDim: [2, NaN] } })).toEqual({
      path: 'latentDim',
      message: 'latent dim must be a number'
    })
    expect(issue({ base: { batchSize: 0 }, grid: { latentDim: [2] } }).path).toBe('batchSize')
  })

  it('refuses a sweep name that starts with a space or is over 100 characters, the same rule for every caller', () => {
    for (const sweepName of [' x', '', 'x'.repeat(101), 'a\nb']) {
      expect(issue({ base: {}, grid: { latentDim: [2] }, sweepName })).toEqual({
        path: 'sweepName',
        message: 'a sweep name is 1-100 characters and does not start with a space'
      })
    }
    expect(
      SweepRequestSchema.parse({ base: {}, grid: { latentDim: [2] }, sweepName: 'x'.repeat(100) })
        .sweepName
    ).toHaveLength(100)
  })

  it('refuses an empty latent list, an unknown grid field and too many runs', () => {
    expect(issue({ base: {}, grid: { latentDim: [] } })).toEqual({
      path: 'grid.latentDim',
      message: 'give at least one latent dimension, e.g. --latent 2,5,10,50'
    })
    expect(issue({ base: {}, grid: { latentDim: [2], epochs: [1] } }).message).toBe(
      'cannot vary epochs in a sweep'
    )
    const many = Array.from({ length: 40 }, (_, i) => i + 1)
    expect(issue({ base: {}, grid: { latentDim: many, seed: many } })).toEqual({
      path: '',
      message: `the grid has 40 latentDim x 40 seed = 1,600 combinations; at most ${MAX_SWEEP_RUNS} runs per sweep: give fewer values`
    })
  })

  it('refuses 5 fields of 100 values (10^10 runs) at once, without making the combinations', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1)
    const grid = { latentDim: hundred, beta: hundred, lr: hundred, seed: hundred, hidden: hundred }
    const heap = process.memoryUsage().heapUsed
    const t0 = performance.now()
    expect(issue({ base: {}, grid }).message).toBe(
      `the grid has 100 latentDim x 100 beta x 100 lr x 100 seed x 100 hidden = 10,000,000,000 combinations; at most ${MAX_SWEEP_RUNS} runs per sweep: give fewer values`
    )
    expect(performance.now() - t0).toBeLessThan(1000)
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(50e6)
  })
})

describe('expandGrid', () => {
  it('gives every combination in the order the fields were given', () => {
    expect(expandGrid({ latentDim: [1, 2], seed: [3] })).toEqual([
      { latentDim: 1, seed: 3 },
      { latentDim: 2, seed: 3 }
    ])
  })

  it('refuses a grid of more combinations than its limit before making any', () => {
    const big = Array.from({ length: 100 }, (_, i) => i)
    expect(() => expandGrid({ a: big, b: big, c: big, d: big, e: big })).toThrow(
      'the grid has 10000000000 combinations; at most 1000'
    )
    expect(expandGrid({ a: big, b: big }, 10_000)).toHaveLength(10_000)
  })
})
