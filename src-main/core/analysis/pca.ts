// Principal component analysis for the latent projection: the top eigenvectors of the covariance
// by power iteration with deflation. The latent dims here are at most a few hundred, so this is
// exact enough and fast; signs are fixed so the same input always gives the same picture.
import { mulberry32 } from '../train/random'

/** Projects `points` ([n][d]) on their first `components` principal axes; returns [n][components]. */
export function pca(points: readonly (readonly number[])[], components = 2): number[][] {
  const n = points.length
  const d = n ? points[0].length : 0
  const mean = new Float64Array(d)
  for (const p of points) for (let j = 0; j < d; j++) mean[j] += p[j] / n
  const cov = Array.from({ length: d }, () => new Float64Array(d))
  for (const p of points) {
    for (let i = 0; i < d; i++) {
      const a = p[i] - mean[i]
      for (let j = i; j < d; j++) cov[i][j] += (a * (p[j] - mean[j])) / Math.max(1, n - 1)
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) cov[i][j] = cov[j][i]

  const axes: Float64Array[] = []
  const rng = mulberry32(1)
  for (let c = 0; c < Math.min(components, d); c++) {
    let v = Float64Array.from({ length: d }, () => rng() - 0.5)
    let lambda = 0
    for (let it = 0; it < 1000; it++) {
      const w = new Float64Array(d)
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) w[i] += cov[i][j] * v[j]
      const norm = Math.hypot(...w)
      if (norm < 1e-300) break
      for (let i = 0; i < d; i++) w[i] /= norm
      const delta = Math.max(...w.map((x, i) => Math.abs(x - v[i])))
      v = w
      lambda = norm
      if (delta < 1e-12) break
    }
    // Sign convention: the largest-magnitude coordinate is positive.
    let big = 0
    for (let i = 1; i < d; i++) if (Math.abs(v[i]) > Math.abs(v[big])) big = i
    if (v[big] < 0) for (let i = 0; i < d; i++) v[i] = -v[i]
    axes.push(v)
    // Deflate: remove this component so the next iteration finds the next one.
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i][j] -= lambda * v[i] * v[j]
  }
  return points.map((p) => {
    const out = axes.map((a) => a.reduce((s, aj, j) => s + aj * (p[j] - mean[j]), 0))
    while (out.length < components) out.push(0)
    return out
  })
}
