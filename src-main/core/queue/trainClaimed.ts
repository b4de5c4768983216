// Trains one claimed run to its end under its lease: starts the training worker, renews the lease
// (a heartbeat every third of it), relays a cancel request left by another process, fences every
// write with the lease token, and ends the run the way its stop asks. Shared by the queue of the
// CLI and the app (runQueue) and by the long-lived `vae-lab worker` (queueWorker).
import type { DatasetInfo, ProgressEvent, TrainConfig } from '../../common/contract'
import type { Selection } from '../backend/backends'
import { isVaeLabError } from '../../common/errors'
import { LeaseLostError } from '../store/runLifecycle'
import type { Claim, RunStore } from '../store/runStore'
import { startTraining, type TrainingHandle } from '../train/trainingWorker'
import type { StoreRequest } from '../train/workerProtocol'

export interface ClaimedRunDeps {
  store: RunStore
  dataset(name: string): DatasetInfo | Promise<DatasetInfo>
  /** The backend a run's config trains on, and why (runQueue's backendPicker). */
  backendFor(config: TrainConfig): Promise<Selection>
  onEvent(e: ProgressEvent): void
}

/**
 * How a run in training is stopped from outside. 'cancel' (Ctrl-C): the run ends cancelled.
 * 'requeue' (the app closing, a worker told to stop by Slurm or Kubernetes): the run goes back
 * to the queue with its finished epochs, and the next worker continues from its checkpoint.
 */
export interface StopRequest {
  mode: 'cancel' | 'requeue'
  /**
   * For 'requeue': let the epoch in progress finish and be stored when it ends within this many
   * seconds (Slurm warns 120 s before a time limit); otherwise it stops at the next batch.
   */
  finishEpochWithin?: number
  /** For 'requeue': the run's message while it waits (default: says it continues from its checkpoint). */
  reason?: string
}

export interface ClaimedRunOptions {
  /** How often a running run checks for a cancel request left by another process. */
  cancelPollMs?: number
}

/** How the claim ended, for the caller's bookkeeping; the run's status says the rest. */
export type ClaimEnd = 'finished' | 'requeued' | 'lost' | 'failed'

export interface ClaimedRun {
  done: Promise<ClaimEnd>
  /** Asks the run to stop (see StopRequest); a second, harsher request still applies. */
  stop(request: StopRequest): void
  /**
   * Terminates the worker at once, for one that did not stop in time; after a 'requeue' stop
   * the run still goes back to the queue, from its last checkpoint (issue 12, finding 6).
   */
  kill(): void
}

export function trainClaimed(
  deps: ClaimedRunDeps,
  claim: Claim,
  o: ClaimedRunOptions = {}
): ClaimedRun {
  let handle: TrainingHandle | undefined
  let stopRequest: StopRequest | undefined
  let lastBatch: { batch: number; batches: number; imgPerSec: number } | undefined
  let batchSize = 1
  let lost = false
  let cancelAsked = false // by another process (`vae-lab queue cancel`): a cancel, whatever else
  let killed = false
  const apply = () => {
    if (!handle || !stopRequest) return
    if (lost || stopRequest.mode === 'cancel') return handle.cancel()
    const within = stopRequest.finishEpochWithin ?? 0
    const remaining = lastBatch
      ? ((lastBatch.batches - lastBatch.batch) * batchSize) / lastBatch.imgPerSec
      : Infinity
    if (within > 0 && remaining <= within) handle.stopAtEpochEnd()
    else handle.cancel()
  }
  const stop = (request: StopRequest) => {
    // A cancel beats a requeue; a requeue asked twice stops at once.
    if (stopRequest?.mode === 'requeue' && request.mode === 'requeue') request = { mode: 'requeue' }
    if (stopRequest?.mode !== 'cancel') stopRequest = request
    apply()
  }
  const kill = () => {
    killed = true
    handle?.terminate()
  }
  const done = run()
  return { done, stop, kill }

  async function run(): Promise<ClaimEnd> {
    const { store, onEvent } = deps
    const { runId, token } = claim
    const leaseMs = claim.leaseSeconds * 1000
    let lastRenewed = Date.now()
    let keeper: ReturnType<typeof setInterval> | undefined
    let poll: ReturnType<typeof setInterval> | undefined
    const cancelRun = () => {
      cancelAsked = true
      handle?.cancel()
    }
    const loseLease = (why: string) => {
      if (lost) return
      lost = true
      handle?.cancel()
      onEvent({ type: 'status', runId, status: 'queued', message: why })
    }
    try {
      const run = await store.requireRun(runId)
      batchSize = run.config.batchSize
      const selection = await deps.backendFor(run.config)
      const checkpoint =
        run.epochsDone > 0 || run.resumes > 0 ? await store.checkpoint(runId, 'latest') : null
      // A store write that fails in an event handler ends the run (as failed), like any error.
      let writeFailure: unknown
      // PostgreSQL: the worker's writes travel through this thread's one connection.
      const onStore = (r: StoreRequest) =>
        r.op === 'epoch'
          ? store.appendEpoch(
              runId,
              r.metrics,
              { kind: 'latest', epoch: r.metrics.epoch, tensors: r.checkpoint },
              token,
              r.figures
            )
          : store.saveResults(runId, r.results, token)
      handle = startTraining(
        {
          runId,
          storeUri: store.uri,
          writer: store.backend === 'postgres' ? 'parent' : 'worker',
          leaseToken: token,
          config: run.config,
          dataset: await deps.dataset(run.config.dataset),
          backend: selection.name,
          resume: checkpoint ? { epoch: checkpoint.epoch, tensors: checkpoint.tensors } : undefined
        },
        {
          onReady: (name, detail) => {
            // The run keeps what it trained on (the adapter, for webgpu) and why auto chose it.
            const why = run.config.backend === 'auto' ? `; ${selection.reason}` : ''
            store.markRunning(runId, name, detail + why).catch((e: unknown) => {
              writeFailure ??= e
              handle?.cancel()
            })
            const from = checkpoint
              ? `, resuming after epoch ${checkpoint.epoch}`
              : run.resumes > 0
                ? ', from epoch 1 (no checkpoint yet)'
                : ''
            onEvent({ type: 'status', runId, status: 'running', message: detail + from })
          },
          onBatch: (p) => {
            lastBatch = p
            onEvent({ type: 'batch', runId, epochs: run.config.epochs, ...p })
          },
          // The epoch and its checkpoint are already stored (by the worker, or by onStore).
          onEpoch: (metrics) => onEvent({ type: 'epoch', runId, metrics }),
          onStore
        }
      )
      apply()
      if (killed) handle.terminate()
      // The lease: renewed every third of its length. A worker that cannot renew it for a whole
      // lease stops on its own, since another may take the run from then on.
      let renewing = false
      keeper = setInterval(
        () => {
          // A heartbeat may hang behind a write the driver keeps retrying (the network is gone).
          if (Date.now() - lastRenewed > leaseMs)
            return loseLease('could not renew its lease; the next worker continues it')
          if (renewing) return
          renewing = true
          store
            .heartbeat(runId, token, claim.leaseSeconds)
            .then(
              ({ held, cancelRequested }) => {
                if (!held) return loseLease('its lease was taken over; another worker continues it')
                lastRenewed = Date.now()
                if (cancelRequested) cancelRun()
              },
              () => {} // unreachable for now: the next beat tries again, until the lease is out
            )
            .finally(() => (renewing = false))
        },
        Math.max(200, leaseMs / 3)
      )
      poll = setInterval(() => {
        store.isCancelRequested(runId).then(
          (requested) => requested && cancelRun(),
          () => {} // a locked or unreachable database: the next poll asks again
        )
      }, o.cancelPollMs ?? 500)
      const outcome = await handle.done
      if (writeFailure !== undefined) throw writeFailure
      if (lost) return 'lost'
      if (outcome.status === 'cancelled' && stopRequest?.mode === 'requeue' && !cancelAsked) {
        const message =
          stopRequest.reason ??
          `stopped after epoch ${outcome.epochsDone} and went back to the queue; the next worker continues from its checkpoint`
        if (!(await store.releaseRun(runId, token, message))) return 'lost'
        onEvent({ type: 'status', runId, status: 'queued', message })
        return 'requeued'
      }
      await store.finishRun(
        runId,
        outcome.status,
        outcome.message ?? null,
        outcome.imgPerSec,
        token
      )
      onEvent({ type: 'status', runId, status: outcome.status, message: outcome.message })
      return 'finished'
    } catch (e) {
      if (killed && stopRequest?.mode === 'requeue' && !cancelAsked && !lost) {
        const message =
          stopRequest.reason ??
          'stopped when its worker was ended; the next worker continues from its checkpoint'
        if (await store.releaseRun(runId, token, message).catch(() => false)) {
          onEvent({ type: 'status', runId, status: 'queued', message })
          return 'requeued'
        }
      }
      if (e instanceof LeaseLostError || lost) {
        loseLease('its lease was taken over; another worker continues it')
        return 'lost'
      }
      const message = isVaeLabError(e) || e instanceof Error ? e.message : String(e)
      try {
        await store.finishRun(runId, 'failed', message, null, token)
      } catch {
        // The database refuses even this write (locked or unreachable for longer than its
        // timeout), or the lease is gone: the run stays 'running' until its lease runs out.
      }
      onEvent({ type: 'status', runId, status: 'failed', message })
      return 'failed'
    } finally {
      clearInterval(keeper)
      clearInterval(poll)
    }
  }
}
