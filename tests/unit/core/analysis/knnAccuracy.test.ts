import { describe, expect, it } from 'vitest'
import { knnAccuracy } from '../../../../src-main/core/analysis/knnAccuracy'

describe('knnAccuracy', () => {
  it('is 1 for well separated clusters and 0 when every point sits among another label', () => {
    const points = [
      [0, 0],
      [0, 1],
      [1, 0],
      [10, 10],
      [10, 11],
      [11, 10]
    ]
    expect(knnAccuracy(points, [0, 0, 0, 1, 1, 1], 2)).toBe(1)
    // Alternating labels on a line: each point's two nearest neighbours carry the other label.
    const line = [[0], [1], [2], [3], [4], [5]]
    expect(knnAccuracy(line, [0, 1, 0, 1, 0, 1], 1)).toBe(0)
  })

  it('leaves the point itself out and counts a hand-checked partial case', () => {
    // Points 0..3 are label 0 near the origin, point 4 (label 1) sits among them, points 5..7 are label 1 far away.
    const points = [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [0.5, 0.5],
      [9, 9],
      [9, 10],
      [10, 9]
    ]
    const labels = [0, 0, 0, 0, 1, 1, 1, 1]
    // k=3: points 0-3 see label-0 majorities (correct), point 4 sees four label-0 points (wrong), 5-7 correct.
    expect(knnAccuracy(points, labels, 3)).toBeCloseTo(7 / 8)
  })

  it('breaks a tied vote by the nearest neighbour', () => {
    // k=2 for point 0: neighbours at distance 1 (label 1) and 2 (label 2) tie 1-1; the nearest wins -> 1.
    const points = [[0], [1], [-2], [30], [31], [60], [61]]
    const labels = [1, 1, 2, 1, 1, 2, 2]
    const acc = knnAccuracy(points, labels, 2)
    // Point 0 correct (nearest is label 1); point 1: neighbours 0 (label 1) and -2 (label 2): tie -> 1, correct;
    // point 2 (label 2): neighbours 0 and 1, both label 1: wrong; 3,4 correct; 5,6 correct.
    expect(acc).toBeCloseTo(6 / 7)
  })

  it('rejects mismatched lengths', () => {
    expect(() => knnAccuracy([[0], [1]], [0], 1)).toThrow(/labels/)
  })
})
