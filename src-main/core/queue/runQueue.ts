// The queue in the database, worked by this process: each slot claims the next queued run
// atomically (under a lease), trains it in a worker thread, and claims the next. Several
// processes (the app, a CLI in another terminal, `vae-lab worker`s on other machines) can work
// the same queue without clashing.
import type { DatasetInfo, ProgressEvent, TrainConfig } from '../../common/contract'
import { probeBackend, selectBackend, type Selection } from '../backend/backends'
import { workloadOf } from '../backend/calibration'
import type { RunStore } from '../store/runStore'
import { trainingPool } from '../train/trainingPool'
import { thisOwner } from './owner'
import { trainClaimed, type ClaimedRun, type StopRequest } from './trainClaimed'

export interface QueueOptions {
  workers: number
  /** Only these runs (a sweep started by `train`); otherwise any queued run. */
  runIds?: number[]
  signal?: AbortSignal
  /** How often a running run checks for a cancel request left by another process. */
  cancelPollMs?: number
  /** What an abort means for runs in training: 'cancel' (Ctrl-C; default) or 'requeue' (the app closing). */
  onAbort?: 'cancel' | 'requeue'
  /** The runs' lease (default 60 s); renewed every third of it while they train. */
  leaseSeconds?: number
  /**
   * Aborted when the workers had their time to stop: they are terminated, and with 'requeue' their
   * runs still go back to the queue (from their last checkpoint), before this resolves.
   */
  kill?: AbortSignal
}

export interface QueueDeps {
  store: RunStore
  dataset(name: string): DatasetInfo | Promise<DatasetInfo>
  onEvent(e: ProgressEvent): void
}

/**
 * Picks each backend once per queue: the first run that asks pays for the probe. auto weighs
 * webgpu per model shape and batch (a calibration, cached): one choice per workload.
 */
export function backendPicker(): (config: TrainConfig) => Promise<Selection> {
  const backends = new Map<string, Promise<Selection>>()
  return (config) => {
    const workload = workloadOf(config)
    const key = `${config.backend} ${JSON.stringify(workload)}`
    if (!backends.has(key))
      backends.set(key, selectBackend(config.backend, probeBackend, { workload }))
    return backends.get(key) as Promise<Selection>
  }
}

const APP_CLOSING: StopRequest = {
  mode: 'requeue',
  reason: 'stopped when the workbench closed; it continues when the workbench starts again'
}

/** Trains queued runs until none is left (or `signal` aborts); returns the ids it trained. */
export async function runQueue(deps: QueueDeps, o: QueueOptions): Promise<number[]> {
  const { store } = deps
  const owner = thisOwner()
  const active = new Set<ClaimedRun>()
  const trained: number[] = []
  const backendFor = backendPicker()
  const stopRequest = (): StopRequest =>
    o.onAbort === 'requeue' ? APP_CLOSING : { mode: 'cancel' }
  const onAbort = () => active.forEach((r) => r.stop(stopRequest()))
  const onKill = () => active.forEach((r) => r.kill())
  o.signal?.addEventListener('abort', onAbort, { once: true })
  o.kill?.addEventListener('abort', onKill, { once: true })
  // Workers load tfjs while the first claims are made (a warm pool has them already).
  trainingPool().warm(Math.min(o.workers, o.runIds?.length ?? o.workers))

  const slot = async () => {
    while (!o.signal?.aborted) {
      const claim = await store.claimNextQueued(owner, {
        runIds: o.runIds,
        leaseSeconds: o.leaseSeconds
      })
      if (claim === null) return
      trained.push(claim.runId)
      // Never throws: whatever goes wrong ends this run (failed), not the queue or its other slots.
      const run = trainClaimed({ ...deps, backendFor }, claim, { cancelPollMs: o.cancelPollMs })
      active.add(run)
      if (o.signal?.aborted) run.stop(stopRequest())
      if (o.kill?.aborted) run.kill()
      await run.done
      active.delete(run)
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
    o.kill?.removeEventListener('abort', onKill)
  }
  return trained
}
