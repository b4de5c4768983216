// The seed's open question: per digit, the smallest latent dim whose test -ELBO is within a
// tolerance of the best dim for that digit. Lower -ELBO is better; several runs of one dim
// (e.g. seeds) count by their best.
import type { MinDimInput, MinDimRow } from '../../common/figures/figureInputs'

export interface DimPerDigit {
  latentDim: number
  /** Test -ELBO per digit 0..9 (null where the digit was absent). */
  perDigit: readonly (number | null)[]
}

export function minimalLatentDim(runs: readonly DimPerDigit[], tolerance = 1): MinDimInput {
  if (!(tolerance >= 0) || !Number.isFinite(tolerance))
    throw new RangeError('tolerance must be a finite number >= 0')
  const dims = [...new Set(runs.map((r) => r.latentDim))].sort((a, b) => a - b)
  const nelbo = dims.map((dim) =>
    Array.from({ length: 10 }, (_, d) => {
      const values = runs.filter((r) => r.latentDim === dim).map((r) => r.perDigit[d])
      const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
      return finite.length ? Math.min(...finite) : null
    })
  )
  const rows: MinDimRow[] = Array.from({ length: 10 }, (_, digit) => {
    let best: number | null = null
    let bestDim: number | null = null
    dims.forEach((dim, i) => {
      const v = nelbo[i][digit]
      if (v !== null && (best === null || v < best)) [best, bestDim] = [v, dim]
    })
    if (best === null) return { digit, minimalDim: null, bestDim: null, bestNelbo: null }
    const limit: number = best + tolerance
    const minimalDim =
      dims.find((_, i) => nelbo[i][digit] !== null && (nelbo[i][digit] as number) <= limit) ?? null
    return { digit, minimalDim, bestDim, bestNelbo: best }
  })
  return { tolerance, dims, nelbo, rows }
}
