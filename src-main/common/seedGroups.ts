// Seed groups (issue 17): runs whose configurations differ only in their seed are repeats of one
// experiment, so they are summarised together as mean ± sd over seeds, with n. Pure: the Compare
// view and `vae-lab export --group-seeds` share it.

/** What grouping needs of a run. */
export interface GroupableRun {
  id: number
  name?: string | null
  latent: number
  config: { seed: number } & Record<string, unknown>
}

export interface SeedGroup {
  /** The configuration without its seed, canonical JSON: equal for exactly the runs of a group. */
  key: string
  /** e.g. 'latent 2' (the runs' common name, seeds taken out). */
  label: string
  latentDim: number
  /** In the order the runs were given. */
  runIds: number[]
  seeds: number[]
}

/** Mean, sample standard deviation (n - 1; 0 for one value) and how many values there were. */
export interface Stat {
  mean: number
  sd: number
  n: number
}

/** JSON with object keys sorted, so that field order never tells two configs apart. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

export function seedGroupKey(config: GroupableRun['config']): string {
  const { seed: _seed, ...rest } = config
  return canonical(rest)
}

/** A run's name with its seed taken out: 'latent 2, seed 3' -> 'latent 2'. */
function withoutSeed(name: string): string {
  return name
    .replace(/(^|,\s*|\s+)seed\s*[-\d]+/gi, '')
    .replace(/^[\s,·]+|[\s,·]+$/g, '')
    .trim()
}

/**
 * The runs in groups of equal configuration but for the seed, in the order their first run
 * appears. A run alone is a group of one.
 */
export function seedGroups(runs: readonly GroupableRun[]): SeedGroup[] {
  const byKey = new Map<string, GroupableRun[]>()
  for (const r of runs) {
    const key = seedGroupKey(r.config)
    const list = byKey.get(key)
    if (list) list.push(r)
    else byKey.set(key, [r])
  }
  const groups = [...byKey.entries()].map(([key, members]) => {
    const names = [...new Set(members.map((m) => withoutSeed(m.name?.trim() ?? '')))]
    const label = names.length === 1 && names[0] ? names[0] : `latent ${members[0].latent}`
    return {
      key,
      label,
      latentDim: members[0].latent,
      runIds: members.map((m) => m.id),
      seeds: members.map((m) => m.config.seed)
    }
  })
  // Two groups that would read the same are told apart by their first run's id.
  const count = new Map<string, number>()
  for (const g of groups) count.set(g.label, (count.get(g.label) ?? 0) + 1)
  for (const g of groups) if ((count.get(g.label) ?? 0) > 1) g.label += ` · #${g.runIds[0]}`
  return groups
}

/** Whether grouping changes anything: some group holds more than one run. */
export const hasRepeats = (groups: readonly SeedGroup[]) => groups.some((g) => g.runIds.length > 1)

/** Mean ± sd of the finite values among `values`; null when there are none. */
export function stat(values: readonly (number | null | undefined)[]): Stat | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  if (!xs.length) return null
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length
  const sd =
    xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) : 0
  return { mean, sd, n: xs.length }
}

/** '86.12 ± 0.34' (the n is shown on its own); '86.12' for a single value. */
export function formatStat(s: Stat | null, digits = 2): string {
  if (!s) return '—'
  return s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}` : s.mean.toFixed(digits)
}

/**
 * Per-epoch statistics of a group's curves: at each epoch, over the runs that reached it. `pick`
 * reads one number of a run's epoch.
 */
export function epochStats<E extends { epoch: number }>(
  runs: readonly (readonly E[])[],
  pick: (e: E) => number
): { epoch: number; stat: Stat }[] {
  const byEpoch = new Map<number, number[]>()
  for (const epochs of runs)
    for (const e of epochs) {
      const list = byEpoch.get(e.epoch)
      if (list) list.push(pick(e))
      else byEpoch.set(e.epoch, [pick(e)])
    }
  return [...byEpoch.entries()]
    .sort(([a], [b]) => a - b)
    .map(([epoch, values]) => ({ epoch, stat: stat(values)! }))
}
