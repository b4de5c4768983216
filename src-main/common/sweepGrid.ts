// A sweep's grid: every combination of its fields' values is one run. Pure (no Node, no zod), so
// the service, the CLI and the renderer's form expand and name grids the same way.
import type { Architecture, Objective } from './contract'

/** Config fields a sweep may vary over. */
export const GRID_FIELDS = [
  'latentDim',
  'beta',
  'lr',
  'seed',
  'hidden',
  'arch',
  'objective',
  'k'
] as const
export type GridField = (typeof GRID_FIELDS)[number]

export interface SweepGrid {
  latentDim?: number[]
  beta?: number[]
  lr?: number[]
  seed?: number[]
  /** Each value is one architecture: 500 (one tanh layer) or [200, 200] (two). */
  hidden?: (number | number[])[]
  arch?: Architecture[]
  objective?: Objective[]
  k?: number[]
}

export type GridValue = number | number[] | string
export type GridCombo = Partial<Record<GridField, GridValue>>

/** How a run's name shows each varied field. */
export const GRID_LABEL: Record<GridField, string> = {
  latentDim: 'latent',
  beta: 'beta',
  lr: 'lr',
  seed: 'seed',
  hidden: 'hidden',
  arch: 'arch',
  objective: 'objective',
  k: 'k'
}

/**
 * Fields that only some runs of a grid use: k belongs to the IWAE objective, hidden layer sizes
 * to the MLP. When the grid varies the owning field, runs that do not use the field leave it out,
 * so `--objective elbo,iwae --k 1,5,50` is one ELBO run and three IWAE runs.
 */
const BELONGS_TO: Partial<Record<GridField, { field: GridField; value: string }>> = {
  k: { field: 'objective', value: 'iwae' },
  hidden: { field: 'arch', value: 'mlp' }
}

/** At most this many runs (grid combinations) per sweep. */
export const MAX_SWEEP_RUNS = 1000

type AnyGrid = SweepGrid | Partial<Record<string, readonly GridValue[]>>

/**
 * How many runs the grid makes, counted without expanding it: the product of its list lengths,
 * except that a field belonging to another (k to the IWAE objective) multiplies only the runs
 * that use it. Values listed twice count twice, so this is an upper bound on expandGrid's length.
 */
export function gridSize(grid: AnyGrid): number {
  const g = grid as Partial<Record<string, readonly GridValue[]>>
  const len = (f: string) => g[f]?.length ?? 0
  const counted = new Set<string>()
  let n = 1
  for (const [child, owner] of Object.entries(BELONGS_TO)) {
    if (!(child in g) || len(owner.field) <= 1) continue
    const users = (g[owner.field] ?? []).filter((v) => v === owner.value).length
    n *= len(owner.field) - users + users * len(child)
    counted.add(child).add(owner.field)
  }
  for (const f of Object.keys(g)) if (!counted.has(f)) n *= len(f)
  return n
}

/**
 * Every combination of the grid's values, in the order the fields were given. Refuses a grid of
 * more than `max` combinations before making any: five fields of 100 values are 10^10 objects.
 */
export function expandGrid(grid: AnyGrid, max = MAX_SWEEP_RUNS): GridCombo[] {
  const size = gridSize(grid)
  if (size > max) throw new RangeError(`the grid has ${size} combinations; at most ${max}`)
  const all = Object.entries(grid).reduce<GridCombo[]>(
    (combos, [field, values]) =>
      combos.flatMap((c) => ((values ?? []) as GridValue[]).map((v) => ({ ...c, [field]: v }))),
    [{}]
  )
  const seen = new Set<string>()
  return all.flatMap((combo) => {
    const c = { ...combo }
    for (const [child, owner] of Object.entries(BELONGS_TO)) {
      const ownerValues = (grid as Partial<Record<string, readonly GridValue[]>>)[owner.field]
      if ((ownerValues?.length ?? 0) > 1 && c[owner.field] !== owner.value)
        delete c[child as GridField]
    }
    const key = JSON.stringify(c)
    if (seen.has(key)) return []
    seen.add(key)
    return [c]
  })
}

/** Fields that tell the runs apart, in GRID_FIELDS order: the latent dim always, others when they vary. */
export function variedFields(grid: SweepGrid): GridField[] {
  return GRID_FIELDS.filter((f) => f in grid).filter(
    (f) => f === 'latentDim' || ((grid[f] as GridValue[] | undefined)?.length ?? 0) > 1
  )
}

export const formatGridValue = (v: GridValue): string =>
  Array.isArray(v) ? v.join(',') : String(v)

/** A run's name from what varies, e.g. "latent 2, hidden 200,200, objective iwae, k 5". */
export function runName(combo: GridCombo, varied: GridField[]): string {
  return varied
    .filter((f) => combo[f] !== undefined)
    .map((f) => `${GRID_LABEL[f]} ${formatGridValue(combo[f] as GridValue)}`)
    .join(', ')
}

/**
 * The text syntax of --hidden and the form's Hidden field: commas list the layers of one network,
 * slashes separate the networks a sweep compares. "200,200" is two layers of 200; "500/200,200"
 * is a sweep of one 500-unit network and one 200-200 network. A malformed size becomes NaN, for
 * the contract to reject with its own message.
 */
export function parseHiddenGrid(text: string): (number | number[])[] {
  return text.split('/').map((net) => {
    const layers = net.split(',').map((s) => {
      const t = s.trim()
      return /^\d+$/.test(t) ? Number(t) : NaN
    })
    return layers.length === 1 ? layers[0] : layers
  })
}

export const formatHidden = (h: number | readonly number[]): string =>
  typeof h === 'number' ? String(h) : h.join(',')
