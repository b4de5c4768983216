// The queue in the database, worked by this process: each slot claims the next queued run
// atomically, trains it in a worker thread, writes its epochs, and claims the next. Several
// processes (the app, a CLI in another terminal) can work the same queue without clashing.
import type { BackendChoice, BackendName, DatasetInfo, ProgressEvent } from '../../api/contract'
import { selectBackend } from '../backend/backends'
import { isVaeLabError } from '../errors'
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
}

export interface QueueDeps {
  store: RunStore
  dataset(name: string): DatasetInfo
  onEvent(e: ProgressEvent): void
}

/** Trains queued runs until none is left (or `signal` aborts); returns the ids it trained. */
export async function runQueue(deps: QueueDeps, o: QueueOptions): Promise<number[]> {
  const { store, onEvent } = deps
  const owner = thisOwner()
  const active = new Map<number, TrainingHandle>()
  const trained: number[] = []
  const backends = new Map<BackendChoice, Promise<BackendName>>()
  const backendFor = (choice: BackendChoice) => {
    if (!backends.has(choice)) backends.set(choice, selectBackend(choice).then((b) => b.name))
    return backends.get(choice) as Promise<BackendName>
  }
  const onAbort = () => active.forEach((h) => h.cancel())
  o.signal?.addEventListener('abort', onAbort, { once: true })

  const trainClaimed = async (runId: number) => {
    const run = store.requireRun(runId)
    let handle: TrainingHandle
    try {
      const backend = await backendFor(run.config.backend)
      const checkpoint = run.resumes > 0 ? store.checkpoint(runId, 'latest') : null
      handle = startTraining(
        {
          runId,
          dbFile: store.file,
          config: run.config,
          dataset: deps.dataset(run.config.dataset),
          backend,
          resume: checkpoint ? { epoch: checkpoint.epoch, tensors: checkpoint.tensors } : undefined
        },
        {
          onReady: (name, detail) => {
            store.markRunning(runId, name, detail)
            onEvent({ type: 'status', runId, status: 'running', message: detail })
          },
          onBatch: (p) => onEvent({ type: 'batch', runId, epochs: run.config.epochs, ...p }),
          // The worker has already stored the epoch and its checkpoint (a ~10 MB write that would
          // otherwise block this thread's event loop for ~60 ms).
          onEpoch: (metrics) => onEvent({ type: 'epoch', runId, metrics })
        }
      )
    } catch (e) {
      return finishFailed(runId, e)
    }
    active.set(runId, handle)
    if (o.signal?.aborted) handle.cancel()
    const poll = setInterval(() => {
      if (store.isCancelRequested(runId)) handle.cancel()
    }, o.cancelPollMs ?? 500)
    try {
      const outcome = await handle.done
      store.finishRun(runId, outcome.status, outcome.message ?? null, outcome.imgPerSec)
      onEvent({ type: 'status', runId, status: outcome.status, message: outcome.message })
    } catch (e) {
      finishFailed(runId, e)
    } finally {
      clearInterval(poll)
      active.delete(runId)
    }
  }

  const finishFailed = (runId: number, e: unknown) => {
    const message = isVaeLabError(e) || e instanceof Error ? e.message : String(e)
    try {
      store.finishRun(runId, 'failed', message, null)
    } catch {
      // The database refuses even this write (locked for longer than its timeout): the run keeps
      // status 'running' under this process, and the next start marks it interrupted.
    }
    onEvent({ type: 'status', runId, status: 'failed', message })
  }

  const slot = async () => {
    while (!o.signal?.aborted) {
      const runId = store.claimNextQueued(owner, o.runIds)
      if (runId === null) return
      trained.push(runId)
      await trainClaimed(runId)
    }
  }
  try {
    await Promise.all(Array.from({ length: o.workers }, slot))
  } finally {
    o.signal?.removeEventListener('abort', onAbort)
  }
  return trained
}
