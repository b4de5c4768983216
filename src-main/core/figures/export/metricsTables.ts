// The numbers behind the figures, as CSV tables a spreadsheet or pandas reads directly.
import type { MinDimInput } from '../../../common/figures/figureInputs'

export type Cell = string | number | null | undefined

/**
 * RFC 4180 CSV: quotes where needed, '\n' line ends, empty cells for null. A text cell that a
 * spreadsheet would run as a formula (=, +, -, @, tab or CR first: OWASP's CSV injection list) gets
 * a leading apostrophe; numbers are written as numbers, negative ones included.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cell = (v: Cell) => {
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return ''
    const s = typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : String(v)
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n'
}

export function minDimCsv(m: MinDimInput): string {
  const header = [
    'digit',
    'minimal_latent_dim',
    'best_latent_dim',
    'best_test_nelbo',
    ...m.dims.map((d) => `test_nelbo_latent_${d}`),
    'tolerance_nats'
  ]
  const rows = m.rows.map((r) => [
    r.digit,
    r.minimalDim,
    r.bestDim,
    r.bestNelbo,
    ...m.dims.map((_, i) => m.nelbo[i][r.digit]),
    m.tolerance
  ])
  return toCsv(header, rows)
}
