// Where the manifold figure decodes (Fig 7). The paper: "linearly spaced coordinates on the unit
// square were transformed through the inverse CDF of the Gaussian", so each tile stands for an
// equal share of the prior's mass; tile i takes probability (i + 1/2) / grid. A linear lattice
// over a range, or over where the test latent means actually lie ("fit"), are the alternatives.

/** Inverse CDF of N(0, 1) (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError('normalQuantile needs 0 < p < 1')
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239
  ]
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572
  ]
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783
  ]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const low = 0.02425
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    )
  }
  if (p > 1 - low) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  )
}

export type Range = readonly [number, number]

export interface Lattice {
  /** z1 of each column, ascending. */
  xs: number[]
  /** z2 of each row, top first (descending). */
  ys: number[]
}

const linear = (n: number, [lo, hi]: Range) =>
  Array.from({ length: n }, (_, i) => (n > 1 ? lo + (i * (hi - lo)) / (n - 1) : (lo + hi) / 2))

/** The paper's lattice: N(0, 1) quantiles of (i + 1/2) / grid on both axes. */
export function quantileLattice(grid: number): Lattice {
  const xs = Array.from({ length: grid }, (_, i) => normalQuantile((i + 0.5) / grid))
  return { xs, ys: [...xs].reverse() }
}

/** Evenly spaced from lo to hi on each axis (`ry` defaults to `rx`). */
export function linearLattice(grid: number, rx: Range, ry: Range = rx): Lattice {
  return { xs: linear(grid, rx), ys: linear(grid, ry).reverse() }
}

/** Per-axis ranges covering the points, 5% wider each side; [-3, 3] where there are none. */
export function fitRanges(points: readonly (readonly number[])[]): [Range, Range] {
  const axis = (k: number): Range => {
    const v = points.map((p) => p[k]).filter((x) => Number.isFinite(x))
    if (!v.length) return [-3, 3]
    const lo = Math.min(...v)
    const hi = Math.max(...v)
    const pad = Math.max((hi - lo) * 0.05, 1e-3)
    return [Number((lo - pad).toFixed(3)), Number((hi + pad).toFixed(3))]
  }
  return [axis(0), axis(1)]
}

/** Share of `points` outside the lattice's tiles (each tile reaches half a step past its centre). */
export function outsideShare(points: readonly (readonly number[])[], l: Lattice): number {
  if (!points.length) return 0
  const bounds = (c: readonly number[]) => {
    const s = [...c].sort((a, b) => a - b)
    const h0 = s.length > 1 ? (s[1] - s[0]) / 2 : 0.5
    const h1 = s.length > 1 ? (s[s.length - 1] - s[s.length - 2]) / 2 : 0.5
    return [s[0] - h0, s[s.length - 1] + h1]
  }
  const [x0, x1] = bounds(l.xs)
  const [y0, y1] = bounds(l.ys)
  const out = points.filter(([x, y]) => !(x >= x0 && x <= x1 && y >= y0 && y <= y1)).length
  return out / points.length
}
