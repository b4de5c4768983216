// The queue in the database, worked by this process: each slot claims the next queued run
// atomically, trains it in a worker thread, writes its epochs, and claims the next. Several
// processes (the app, a CLI in another terminal) can work the same queue without clashing.
import type { DatasetInfo, ProgressEvent, TrainConfig } from '../../common/contract'
import { probeBackend, selectBackend, type Selection } from '../backend/backends'
import { workloadOf } from '../backend/calibration'
import { isVaeLabError } from '../../common/errors'
import type { RunStore } from '../store/runStore'
import { startTraining, type TrainingHandle } from '../train/trainingWorker'
import { thisOwner } from './owner'

export interface QueueOptions {
  workers: number
  /** Only these runs (a sweep started by `train`); otherwise any queued run. */
  runIds?: number[]
  signal?: AbortSignal
  /** How often a running run checks for a cancel request left by another process. */
  cancelPollMs?: number
  /** What an abort means for runs in training: 'cancel' (Ctrl-C; default) or 'requeue' (the app closing). */
  onAbort?: 'cancel' | 'requeue'
}

export interface QueueDeps {
  store: RunStore
  dataset(name: string): DatasetInfo | Promise<DatasetInfo>
  onEvent(e: ProgressEvent): void
}

/** Trains queued runs until none is left (or `signal` aborts); returns the ids it trained. */
export async function runQueue(deps: QueueDeps, o: QueueOptions): Promise<number[]> {
  const { store, onEvent } = deps
  const owner = thisOwner()
  const active = new Map<number, TrainingHandle>()
  const trained: number[] = []
  // auto weighs webgpu per model shape and batch (a calibration, cached): one choice per workload.
  const backends = new Map<string, Promise<Selection>>()
  const backendFor = (config: TrainConfig) => {
    const workload = workloadOf(config)
    const key = `${config.backend} ${JSON.stringify(workload)}`
    if (!backends.has(key))
      backends.set(key, selectBackend(config.backend, probeBackend, { workload }))
    return backends.get(key) as Promise<Selection>
  }
  const onAbort = () => active.forEach((h) => h.cancel())
  o.signal?.addEventListener('abort', onAbort, { once: true })

  // Never throws: whatever goes wrong ends this run (failed), not the queue or its other slots.
  const trainClaimed = async (runId: number) => {
    let poll: ReturnType<typeof setInterval> | undefined
    try {
      const run = await store.requireRun(runId)
      const selection = await backendFor(run.config)
      const checkpoint = run.resumes > 0 ? await store.checkpoint(runId, 'latest') : null
      // A store write that fails in an event handler ends the run (as failed), like any error.
      let writeFailure: unknown
      const handle: TrainingHandle = startTraining(
        {
          runId,
          storeUri: store.uri,
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
              handle.cancel()
            })
            const from =
              run.resumes > 0
                ? checkpoint
                  ? `, resuming after epoch ${checkpoint.epoch}`
                  : ', from epoch 1 (no checkpoint yet)'
                : ''
            onEvent({ type: 'status', runId, status: 'running', message: detail + from })
          },
          onBatch: (p) => onEvent({ type: 'batch', runId, epochs: run.config.epochs, ...p }),
          // The worker has already stored the epoch and its checkpoint (a ~10 MB write that would
          // otherwise block this thread's event loop for ~60 ms).
          onEpoch: (metrics) => onEvent({ type: 'epoch', runId, metrics })
        }
      )
      active.set(runId, handle)
      if (o.signal?.aborted) handle.cancel()
      poll = setInterval(() => {
        store.isCancelRequested(runId).then(
          (requested) => requested && handle.cancel(),
          () => {} // a locked database: the next poll asks again
        )
      }, o.cancelPollMs ?? 500)
      const outcome = await handle.done
      if (writeFailure !== undefined) throw writeFailure
      if (outcome.status === 'cancelled' && o.signal?.aborted && o.onAbort === 'requeue') {
        // The workbench is closing, not the user cancelling: the run goes back to the front of the
        // queue and continues from its checkpoint when the workbench starts again.
        await store.finishRun(
          runId,
          'interrupted',
          'stopped when the workbench closed',
          outcome.imgPerSec
        )
        await store.requeueForResume(runId)
        onEvent({
          type: 'status',
          runId,
          status: 'queued',
          message: 'continues when the workbench starts again'
        })
        return
      }
      await store.finishRun(runId, outcome.status, outcome.message ?? null, outcome.imgPerSec)
      onEvent({ type: 'status', runId, status: outcome.status, message: outcome.message })
    } catch (e) {
      await finishFailed(runId, e)
    } finally {
      clearInterval(poll)
      active.delete(runId)
    }
  }

  const finishFailed = async (runId: number, e: unknown) => {
    const message = isVaeLabError(e) || e instanceof Error ? e.message : String(e)
    try {
      await store.finishRun(runId, 'failed', message, null)
    } catch {
      // The database refuses even this write (locked for longer than its timeout): the run keeps
      // status 'running' under this process, and the next start marks it interrupted.
    }
    onEvent({ type: 'status', runId, status: 'failed', message })
  }

  const slot = async () => {
    while (!o.signal?.aborted) {
      const runId = await store.claimNextQueued(owner, o.runIds)
      if (runId === null) return
      trained.push(runId)
      await trainClaimed(runId)
    }
  }
  try {
    // Every slot finishes its run before a failing one (say, the database stayed locked while
    // claiming) is reported: no run is left behind as 'running' under a live process.
    const results = await Promise.allSettled(Array.from({ length: o.workers }, slot))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  } finally {
    o.signal?.removeEventListener('abort', onAbort)
  }
  return trained
}
