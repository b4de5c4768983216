import { describe, expect, it } from 'vitest'
import { knnAccuracy } from '../../../../src-main/core/analysis/knnAccuracy'
import { pca } from '../../../../src-main/core/analysis/pca'
import { project2d } from '../../../../src-main/core/analysis/project2d'
import { mulberry32 } from '../../../../src-main/core/train/random'

/** Ten clusters in `dim` dimensions: cluster l is centred at 6 * e_l, with unit-ish noise. */
function clusters(n: number, dim: number, seed = 3) {
  const rng = mulberry32(seed)
  const points: number[][] = []
  const labels: number[] = []
  for (let i = 0; i < n; i++) {
    const l = i % 10
    labels.push(l)
    points.push(Array.from({ length: dim }, (_, j) => (j === l ? 6 : 0) + (rng() - 0.5)))
  }
  return { points, labels }
}

describe('pca', () => {
  it('finds the axes of largest variance, in order, with a fixed sign', () => {
    // Variance 9 along (1,1,0)/sqrt2, variance 1 along (1,-1,0)/sqrt2, none along z.
    const points: number[][] = []
    for (const a of [-3, 3])
      for (const b of [-1, 1]) points.push([(a + b) / Math.SQRT2, (a - b) / Math.SQRT2, 5])
    const p = pca(points, 2)
    p.forEach(([x, y], i) => {
      const [a, b] = [
        [-3, -1],
        [-3, 1],
        [3, -1],
        [3, 1]
      ][i]
      expect(Math.abs(x)).toBeCloseTo(Math.abs(a), 9)
      expect(Math.abs(y)).toBeCloseTo(Math.abs(b), 9)
    })
    expect(pca(points, 2)).toEqual(p)
  })
})

describe('project2d', () => {
  it('returns 2-D points unchanged', () => {
    expect(
      project2d(
        [
          [1, 2],
          [3, 4],
          [5, 6]
        ],
        'umap'
      )
    ).toEqual([
      [1, 2],
      [3, 4],
      [5, 6]
    ])
  })

  it.each(['pca', 'umap', 'tsne'] as const)(
    '%s is deterministic for a seed and keeps separated clusters separable',
    (method) => {
      const { points, labels } = clusters(120, 12)
      const a = project2d(points, method, { seed: 7, iterations: 300 })
      const b = project2d(points, method, { seed: 7, iterations: 300 })
      expect(a).toEqual(b)
      expect(a).toHaveLength(120)
      expect(a.every((p) => p.length === 2 && p.every(Number.isFinite))).toBe(true)
      expect(knnAccuracy(points, labels, 5)).toBe(1)
      // PCA keeps only 2 of the 10 cluster directions, so only the non-linear methods must separate all ten.
      if (method !== 'pca') expect(knnAccuracy(a, labels, 5)).toBeGreaterThan(0.9)
    }
  )
})
