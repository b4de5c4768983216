// The seed's open question: per digit, the smallest latent dim whose test -ELBO is within a
// tolerance of the best dim for that digit. Lower -ELBO is better. Several runs of one dim count by
// their best, unless they are named (`label`): then each keeps its own row, so a reader sees which
// run (seed, beta...) each number came from.
import type { MinDimInput, MinDimRow } from '../../common/figures/figureInputs'

export interface DimPerDigit {
  latentDim: number
  /** Test -ELBO per digit 0..9 (null where the digit was absent). */
  perDigit: readonly (number | null)[]
  /** The run's name, for a row of its own where runs share a dim. */
  label?: string
}

const finiteMin = (values: readonly (number | null | undefined)[]) => {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  return finite.length ? Math.min(...finite) : null
}

export function minimalLatentDim(runs: readonly DimPerDigit[], tolerance = 1): MinDimInput {
  if (!(tolerance >= 0) || !Number.isFinite(tolerance))
    throw new RangeError('tolerance must be a finite number >= 0')
  const distinct = [...new Set(runs.map((r) => r.latentDim))].sort((a, b) => a - b)
  const perRun = distinct.length < runs.length && runs.every((r) => r.label !== undefined)
  const rowsOf = perRun
    ? [...runs]
        .sort((a, b) => a.latentDim - b.latentDim || a.label!.localeCompare(b.label!))
        .map((r) => ({ dim: r.latentDim, label: r.label!, members: [r] }))
    : distinct.map((dim) => ({
        dim,
        label: String(dim),
        members: runs.filter((r) => r.latentDim === dim)
      }))
  const dims = rowsOf.map((r) => r.dim)
  const nelbo = rowsOf.map((row) =>
    Array.from({ length: 10 }, (_, d) => finiteMin(row.members.map((r) => r.perDigit[d])))
  )
  const rows: MinDimRow[] = Array.from({ length: 10 }, (_, digit) => {
    let best: number | null = null
    let bestDim: number | null = null
    dims.forEach((dim, i) => {
      const v = nelbo[i][digit]
      if (v !== null && (best === null || v < best)) [best, bestDim] = [v, dim]
    })
    if (best === null)
      return { digit, minimalDim: null, bestDim: null, bestNelbo: null, minimalRow: null }
    const limit: number = best + tolerance
    const i = dims.findIndex(
      (_, k) => nelbo[k][digit] !== null && (nelbo[k][digit] as number) <= limit
    )
    return {
      digit,
      minimalDim: i >= 0 ? dims[i] : null,
      bestDim,
      bestNelbo: best,
      minimalRow: i >= 0 ? i : null
    }
  })
  return { tolerance, dims, labels: rowsOf.map((r) => r.label), nelbo, rows }
}
