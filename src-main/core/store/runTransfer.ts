// `vae-lab runs pull` / `runs push`: copies runs, with their metrics, evaluations, checkpoints and
// figure data, from one store to another (a cluster's PostgreSQL and a laptop's SQLite), keyed by
// the runs' uids, so copying twice adds nothing. Runs still queued or training at the source are
// left for a later copy: a queued copy would be trained twice, once on each side.
import type { RunStatus } from '../../common/contract'
import { VaeLabError } from '../../common/errors'
import type { ImportOutcome, RunFilter, RunStore } from './runStore'

export interface TransferReport {
  /** Source run ids by what became of their copy. */
  added: number[]
  updated: number[]
  unchanged: number[]
  /** The copy at the target moved on (resumed there): left as it was. */
  kept: number[]
  /** Still queued or running at the source. */
  skipped: { id: number; status: RunStatus }[]
}

const UNFINISHED: readonly RunStatus[] = ['queued', 'running']

export async function copyRuns(
  from: RunStore,
  to: RunStore,
  filter: RunFilter = {},
  onRun?: (sourceId: number, outcome: ImportOutcome) => void
): Promise<TransferReport> {
  if (from.uri === to.uri)
    throw new VaeLabError(
      'INVALID_INPUT',
      `${from.location} is both the source and the target; name another store`
    )
  const runs = await from.runUids(filter)
  if (filter.sweep !== undefined && runs.length === 0)
    throw new VaeLabError(
      'NOT_FOUND',
      `${from.location} has no runs in a sweep named "${filter.sweep}"; \`vae-lab runs list --db URI\` shows its runs`,
      { field: 'sweep' }
    )
  const report: TransferReport = { added: [], updated: [], unchanged: [], kept: [], skipped: [] }
  // One run at a time: a run carries ~10 MB of checkpoints, and a sweep may have hundreds.
  for (const r of runs) {
    if (UNFINISHED.includes(r.status)) {
      report.skipped.push({ id: r.id, status: r.status })
      continue
    }
    const outcome = await to.importRun(await from.exportRun(r.id))
    report[outcome].push(r.id)
    onRun?.(r.id, outcome)
  }
  return report
}
