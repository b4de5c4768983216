// What may happen to a run in each status, apart from any SQL: every store backend asks these
// (inside the transaction that then changes the run), so the rules and their messages are one.
import type { RunStatus } from '../../common/contract'
import { VaeLabError } from '../../common/errors'

/** Statuses a run continues from, from its latest checkpoint (`vae-lab resume`, requeueing). */
export const RESUMABLE_STATUSES: readonly RunStatus[] = ['interrupted', 'cancelled', 'failed']

/** The message a run gets when the process training it is found gone. */
export const INTERRUPTED_MESSAGE =
  'the process training it stopped before the run finished; `vae-lab resume` continues it'

export function runNotFound(runId: number): VaeLabError {
  return new VaeLabError(
    'NOT_FOUND',
    `no run with id ${runId}; \`vae-lab runs list\` shows the runs`
  )
}

/** Throws unless a run in `status` may go back to the queue to continue from its checkpoint. */
export function checkResumable(runId: number, status: RunStatus): void {
  if (RESUMABLE_STATUSES.includes(status)) return
  const why =
    status === 'diverged'
      ? 'it diverged; start a new run with a lower learning rate'
      : `it is ${status}`
  throw new VaeLabError('INVALID_INPUT', `run ${runId} cannot be resumed: ${why}`)
}

/**
 * What cancelling a run in `status` does: a queued run is cancelled at once, a running one gets
 * a request its owner acts on; anything else cannot be cancelled.
 */
export function cancelAction(runId: number, status: RunStatus): 'cancel-now' | 'request' {
  if (status === 'queued') return 'cancel-now'
  if (status === 'running') return 'request'
  throw new VaeLabError(
    'INVALID_INPUT',
    `run ${runId} is ${status}; only queued or running runs can be cancelled`
  )
}

/** Throws for a running run: its worker is still writing to it. */
export function checkDeletable(runId: number, status: RunStatus): void {
  if (status === 'running') {
    throw new VaeLabError(
      'INVALID_INPUT',
      `run ${runId} is running; cancel it first (\`vae-lab queue cancel ${runId}\`)`
    )
  }
}

/**
 * A run 'running' whose worker is lost: its lease ran out (wherever it ran), or its owner process
 * is gone (on this machine, where that can be checked). Runs in other statuses are left.
 */
export function isAbandoned(
  status: RunStatus,
  owner: string | null,
  isOwnerAlive: (owner: string | null) => boolean,
  leaseExpired = false
): boolean {
  return status === 'running' && (leaseExpired || !isOwnerAlive(owner))
}

/** How often a run may lose its worker and be requeued before it fails instead. */
export const DEFAULT_MAX_RETRIES = 3

/**
 * What becomes of a running run whose worker is lost (lease expired, or its process on this host
 * is gone). `timesLost` counts this loss too. A CLI or app run is interrupted, as before leases;
 * a worker's run goes back to the queue, until it has been lost more than `maxRetries` times.
 */
export function lostRunVerdict(
  onLost: 'interrupt' | 'requeue',
  timesLost: number,
  maxRetries: number,
  who: string
): { status: 'interrupted' | 'queued' | 'failed'; message: string } {
  if (onLost === 'interrupt') return { status: 'interrupted', message: INTERRUPTED_MESSAGE }
  if (timesLost <= maxRetries)
    return {
      status: 'queued',
      message: `requeued: its worker ${who} was lost (${timesLost} of ${maxRetries} retries); the next worker continues from its checkpoint`
    }
  return {
    status: 'failed',
    message: `its workers were lost ${timesLost} times, more than the ${maxRetries} retries allowed (${who} last); \`vae-lab runs show\` lists the attempts, \`vae-lab resume\` tries again`
  }
}

/**
 * A worker wrote for a run whose lease it no longer holds (it was requeued, after the lease ran
 * out, and another worker may be training it): nothing was written, and the worker must stop.
 */
export class LeaseLostError extends VaeLabError {
  constructor(runId: number) {
    super(
      'CANCELLED',
      `run ${runId}: this worker's lease ran out and the run went back to the queue; it stops without writing more`
    )
    this.name = 'LeaseLostError'
  }
}
