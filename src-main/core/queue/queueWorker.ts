// The long-lived worker (`vae-lab worker`): the whole contract of a cluster task, be it a Slurm
// array task or a Kubernetes Indexed Job pod. It claims runs one after another under a lease,
// hands back the runs of lost workers first, and on a stop (SIGTERM, Slurm's USR1 before a time
// limit) gives its run back to the queue with its finished epochs and returns.
import type { ProgressEvent } from '../../common/contract'
import type { RunStore } from '../store/runStore'
import { trainingPool } from '../train/trainingPool'
import { isOwnerAlive, schedulerLabel, thisOwner } from './owner'
import { backendPicker, type QueueDeps } from './runQueue'
import { trainClaimed, type ClaimEnd, type ClaimedRun } from './trainClaimed'

export interface WorkerOptions {
  /** Lease length in seconds (default 60); renewed every third of it. */
  leaseSeconds: number
  /** Stop after claiming this many runs. */
  maxRuns?: number
  /** Exit once nothing could be claimed for this long (default 0: as soon as the queue is empty). */
  idleExitSeconds: number
  /** Only runs of this sweep. */
  sweep?: string
  /** A run lost with its worker more often than this fails (default 3). */
  maxRetries: number
  /**
   * On a stop, let the epoch in training finish and be stored if it ends within this many
   * seconds; else stop at the next batch (default 20: within Slurm's 30 s KillWait).
   */
  finishEpochWithin: number
  /** How often an idle worker looks for work (default 1 s, at most a quarter of the lease). */
  pollSeconds?: number
  /** Ends the worker: its run goes back to the queue (after its epoch, if that ends soon). */
  signal: AbortSignal
  /** Ends it without waiting for the epoch (a second SIGTERM). */
  urgent?: AbortSignal
}

export interface WorkerReport {
  owner: string
  label: string | null
  runs: { runId: number; attempt: number; end: ClaimEnd }[]
  /** Why it stopped. */
  reason: 'idle' | 'max-runs' | 'signal'
}

export type WorkerEvent =
  | ProgressEvent
  | { type: 'claimed'; runId: number; attempt: number; epochsDone: number }
  | { type: 'recovered'; requeued: number[]; interrupted: number[]; failed: number[] }
  | { type: 'store-error'; message: string }

export interface WorkerDeps extends Omit<QueueDeps, 'onEvent'> {
  store: RunStore
  onEvent(e: WorkerEvent): void
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })

export async function runWorker(deps: WorkerDeps, o: WorkerOptions): Promise<WorkerReport> {
  const { store, onEvent } = deps
  const owner = thisOwner()
  const label = schedulerLabel()
  const report: WorkerReport = { owner, label, runs: [], reason: 'idle' }
  const backendFor = backendPicker()
  const pollMs = Math.min(o.pollSeconds ?? 1, o.leaseSeconds / 4) * 1000
  let current: ClaimedRun | undefined
  const stopCurrent = () =>
    current?.stop({
      mode: 'requeue',
      finishEpochWithin: o.urgent?.aborted ? 0 : o.finishEpochWithin
    })
  o.signal.addEventListener('abort', stopCurrent)
  o.urgent?.addEventListener('abort', stopCurrent)

  let idleSince: number | null = null
  trainingPool().warm(1) // tfjs loads while the first claim is made
  try {
    while (!o.signal.aborted) {
      if (o.maxRuns !== undefined && report.runs.length >= o.maxRuns) {
        report.reason = 'max-runs'
        break
      }
      let claimed = false
      try {
        const lost = await store.recoverLost({ isOwnerAlive, maxRetries: o.maxRetries })
        if (lost.requeued.length + lost.interrupted.length + lost.failed.length > 0)
          onEvent({ type: 'recovered', ...lost })
        const claim = await store.claimNextQueued(owner, {
          sweep: o.sweep,
          leaseSeconds: o.leaseSeconds,
          onLost: 'requeue',
          worker: label ?? undefined
        })
        if (claim) {
          claimed = true
          idleSince = null
          onEvent({
            type: 'claimed',
            runId: claim.runId,
            attempt: claim.attempt,
            epochsDone: claim.epochsDone
          })
          current = trainClaimed({ ...deps, backendFor, onEvent }, claim)
          if (o.signal.aborted) stopCurrent()
          const end = await current.done
          current = undefined
          report.runs.push({ runId: claim.runId, attempt: claim.attempt, end })
        }
      } catch (e) {
        // The store is unreachable for longer than the driver reconnects: wait and look again;
        // it counts as idle time, so a worker whose database is gone for good ends.
        onEvent({ type: 'store-error', message: e instanceof Error ? e.message : String(e) })
      }
      if (claimed || o.signal.aborted) continue
      idleSince ??= Date.now()
      if (Date.now() - idleSince >= o.idleExitSeconds * 1000) {
        report.reason = 'idle'
        break
      }
      await sleep(pollMs, o.signal)
    }
    if (o.signal.aborted) report.reason = 'signal'
    return report
  } finally {
    o.signal.removeEventListener('abort', stopCurrent)
    o.urgent?.removeEventListener('abort', stopCurrent)
  }
}
