// Filtering and sorting of the Runs table, kept pure so 1,000 runs can be tested without a DOM.
import type { RunStatus, RunSummary } from '../../src-main/common/contract'

export type SortKey =
  | 'id'
  | 'name'
  | 'sweep'
  | 'status'
  | 'latent'
  | 'backend'
  | 'epochs'
  | 'testNelbo'
  | 'imgPerSec'
  | 'createdAt'
export type SortDir = 'asc' | 'desc'

export interface RunQuery {
  /** Words that must all appear in the run's id, name, sweep, status, backend, worker, dataset or tags. */
  text: string
  status: RunStatus | ''
  sweep: string
  /** Runs carrying this tag, as answered by listRuns({tag}); null when no tag filter is set. */
  taggedIds: ReadonlySet<number> | null
}

export const EMPTY_QUERY: RunQuery = { text: '', status: '', sweep: '', taggedIds: null }

/** Order of statuses when sorting by status: what needs attention first. */
const STATUS_ORDER: Record<RunStatus, number> = {
  running: 0,
  queued: 1,
  interrupted: 2,
  failed: 3,
  diverged: 4,
  cancelled: 5,
  completed: 6
}

function haystack(r: RunSummary, tags: readonly string[] | undefined): string {
  return [
    `#${r.id}`,
    String(r.id),
    r.name ?? '',
    r.sweep ?? '',
    r.status,
    r.backend ?? '',
    r.worker ?? '',
    r.dataset,
    `latent ${r.latent}`,
    ...(tags ?? [])
  ]
    .join(' ')
    .toLowerCase()
}

export function filterRuns(
  runs: readonly RunSummary[],
  q: RunQuery,
  tagsById: ReadonlyMap<number, readonly string[]> = new Map()
): RunSummary[] {
  const words = q.text.toLowerCase().split(/\s+/).filter(Boolean)
  return runs.filter((r) => {
    if (q.status && r.status !== q.status) return false
    if (q.sweep && r.sweep !== q.sweep) return false
    if (q.taggedIds && !q.taggedIds.has(r.id)) return false
    if (!words.length) return true
    const h = haystack(r, tagsById.get(r.id))
    return words.every((w) => h.includes(w))
  })
}

function keyOf(r: RunSummary, key: SortKey): number | string | null {
  switch (key) {
    case 'status':
      return STATUS_ORDER[r.status]
    case 'epochs':
      return r.epochsDone / Math.max(1, r.epochs)
    case 'createdAt':
      return r.createdAt
    default:
      return r[key]
  }
}

/** Stable sort; missing values (a run without a test -ELBO yet) go last in either direction. */
export function sortRuns(runs: readonly RunSummary[], key: SortKey, dir: SortDir): RunSummary[] {
  const sign = dir === 'asc' ? 1 : -1
  return runs
    .map((r, i) => ({ r, i, k: keyOf(r, key) }))
    .sort((a, b) => {
      if (a.k === null || a.k === undefined)
        return b.k === null || b.k === undefined ? a.i - b.i : 1
      if (b.k === null || b.k === undefined) return -1
      const c =
        typeof a.k === 'number' && typeof b.k === 'number'
          ? a.k - b.k
          : String(a.k).localeCompare(String(b.k), 'en', { numeric: true })
      return c !== 0 ? sign * c : sign * (a.r.id - b.r.id)
    })
    .map((x) => x.r)
}

/** Sweeps, newest first (by their newest run). */
export function sweepsOf(runs: readonly RunSummary[]): string[] {
  const newest = new Map<string, number>()
  for (const r of runs) if (r.sweep) newest.set(r.sweep, Math.max(newest.get(r.sweep) ?? 0, r.id))
  return [...newest.entries()].sort((a, b) => b[1] - a[1]).map(([s]) => s)
}

/** Compare's default: the completed runs of the newest sweep that has any, by latent dim. */
export function latestSweepRuns(runs: readonly RunSummary[]): RunSummary[] {
  for (const sweep of sweepsOf(runs)) {
    const done = runs.filter((r) => r.sweep === sweep && r.status === 'completed')
    if (done.length)
      return [...done].sort((a, b) => a.latent - b.latent || a.id - b.id).slice(0, 16)
  }
  return [...runs]
    .filter((r) => r.status === 'completed')
    .sort((a, b) => b.id - a.id)
    .slice(0, 4)
    .sort((a, b) => a.latent - b.latent)
}

export const canCancel = (r: RunSummary) => r.status === 'running' || r.status === 'queued'
export const canResume = (r: RunSummary) =>
  r.status === 'interrupted' || r.status === 'cancelled' || r.status === 'failed'
export const canDelete = (r: RunSummary) => r.status !== 'running'
