// What differs between runs (issue 17): the config table that highlights only the differing
// fields, the warnings Compare gives when runs differ in epochs, dataset or protocol, and the
// axes of the parallel-coordinates view. Pure, over any config fields (new ones included).
import type { ParallelField, ParallelInput, RunLabel } from './figures/figureInputs'

export interface DiffableRun {
  id: number
  name?: string | null
  latent: number
  epochsDone: number
  config: Record<string, unknown>
}

/** Field labels in reading order; fields not listed follow, by name. */
export const CONFIG_FIELDS: readonly [string, string][] = [
  ['dataset', 'Dataset'],
  ['latentDim', 'Latent dim'],
  ['arch', 'Architecture'],
  ['hidden', 'Hidden units'],
  ['objective', 'Objective'],
  ['k', 'k (IWAE)'],
  ['beta', 'β'],
  ['samples', 'Samples (L)'],
  ['batchSize', 'Batch size'],
  ['epochs', 'Epochs'],
  ['optimizer', 'Optimiser'],
  ['lr', 'Learning rate'],
  ['weightDecay', 'Weight decay'],
  ['pixels', 'Pixels'],
  ['init', 'Init'],
  ['seed', 'Seed'],
  ['limitTrain', 'Training images'],
  ['limitTest', 'Test images'],
  ['evalIwae', 'IWAE evaluation k'],
  ['backend', 'Backend asked']
]
const LABEL = new Map(CONFIG_FIELDS)
const ORDER = new Map(CONFIG_FIELDS.map(([k], i) => [k, i]))

/** Fields that decide what a reported number means: runs that differ here measure different things. */
export const PROTOCOL_FIELDS = ['pixels', 'limitTrain', 'limitTest'] as const

/** A config value as the table shows it; absent values as what they mean. */
export function showValue(key: string, v: unknown): string {
  if (v === undefined || v === null)
    return key === 'lr' ? 'default' : key.startsWith('limit') ? 'all' : '—'
  if (Array.isArray(v)) return v.join('-')
  if (typeof v === 'number') return String(Number(v.toPrecision(6)))
  return String(v)
}

export interface ConfigRow {
  key: string
  label: string
  /** One per run, as shown. */
  values: string[]
  differs: boolean
}

/** Every field of any of the configs, in reading order, and whether the runs differ in it. */
export function configDiff(configs: readonly Record<string, unknown>[]): ConfigRow[] {
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c)))]
  keys.sort((a, b) => (ORDER.get(a) ?? 999) - (ORDER.get(b) ?? 999) || a.localeCompare(b))
  return keys.map((key) => {
    const values = configs.map((c) => showValue(key, c[key]))
    return { key, label: LABEL.get(key) ?? key, values, differs: new Set(values).size > 1 }
  })
}

function listBy(runs: readonly DiffableRun[], value: (r: DiffableRun) => string): string {
  const groups = new Map<string, string[]>()
  for (const r of runs) {
    const v = value(r)
    groups.set(v, [...(groups.get(v) ?? []), `#${r.id}`])
  }
  return [...groups.entries()].map(([v, ids]) => `${v} (${ids.join(', ')})`).join(' vs ')
}

/**
 * Why numbers of these runs may not compare: they trained for different numbers of epochs, on
 * different datasets, or under a different protocol (binarisation, training or test images).
 */
export function comparabilityWarnings(runs: readonly DiffableRun[]): string[] {
  if (runs.length < 2) return []
  const out: string[] = []
  const distinct = (f: (r: DiffableRun) => string) => new Set(runs.map(f)).size > 1
  if (distinct((r) => String(r.epochsDone)))
    out.push(
      `The runs trained for different numbers of epochs: ${listBy(runs, (r) => `${r.epochsDone} epoch${r.epochsDone === 1 ? '' : 's'}`)}. Compare curves at the same epoch (the epoch slider) before final numbers.`
    )
  if (distinct((r) => String(r.config.dataset)))
    out.push(
      `The runs are on different datasets: ${listBy(runs, (r) => String(r.config.dataset))}. Their −ELBOs measure different data.`
    )
  const protocol = PROTOCOL_FIELDS.filter((k) => distinct((r) => showValue(k, r.config[k])))
  if (protocol.length)
    out.push(
      `The runs differ in protocol (${protocol.map((k) => LABEL.get(k) ?? k).join(', ')}): ` +
        protocol
          .map((k) => `${LABEL.get(k) ?? k} ${listBy(runs, (r) => showValue(k, r.config[k]))}`)
          .join('; ') +
        '. Their −ELBOs are not measured on the same terms.'
    )
  return out
}

const NUMERIC = (v: unknown) => typeof v === 'number' && Number.isFinite(v)
/** Up to this many distinct numbers make a category axis. */
const FEW = 6

/**
 * The parallel-coordinates input: one axis per field that varies across `runs` (numbers on a
 * value axis, log where they span a factor of 10 and are positive; anything else by category),
 * then the final test −ELBO.
 */
export function parallelInput(
  runs: readonly (DiffableRun & { testNelbo: number | null })[],
  labels: readonly RunLabel[],
  highlight: readonly number[] = []
): ParallelInput {
  const rows = configDiff(runs.map((r) => r.config)).filter((r) => r.differs)
  const fields: ParallelField[] = rows.map((row) => {
    const raw = runs.map((r) => r.config[row.key])
    const distinct = [...new Set(raw as unknown[])]
    // A few numbers (latent 2/5/10/50, seeds 1-3) read best as evenly spaced categories.
    if (raw.every(NUMERIC) && distinct.length <= FEW) {
      const categories = (distinct as number[])
        .sort((a, b) => a - b)
        .map((v) => showValue(row.key, v))
      return { key: row.key, label: row.label, kind: 'category', categories }
    }
    if (raw.every(NUMERIC)) {
      const xs = raw as number[]
      const lo = Math.min(...xs)
      const hi = Math.max(...xs)
      return { key: row.key, label: row.label, kind: lo > 0 && hi / lo >= 10 ? 'log' : 'value' }
    }
    const categories = [...new Set(row.values)]
    return { key: row.key, label: row.label, kind: 'category', categories }
  })
  fields.push({ key: 'testNelbo', label: 'test −ELBO', kind: 'value' })
  return {
    fields,
    runs: runs.map((r, i) => ({
      run: labels[i],
      values: fields.map((f) => {
        if (f.key === 'testNelbo')
          return r.testNelbo === null ? null : Number(r.testNelbo.toFixed(3))
        const v = r.config[f.key]
        return f.kind === 'category' ? showValue(f.key, v) : (v as number)
      })
    })),
    highlight
  }
}
