// How long what is queued will take: every running and queued run's remaining images at a
// measured rate, laid out over the workers (each takes the next run as it frees, as the queue
// does). Before anything was measured, a rough rate by backend says so instead of pretending.
import type { BackendName, RunSummary, TrainConfig } from '../../src-main/common/contract'
import { formatHidden } from '../../src-main/common/sweepGrid'

/** Training images per second of one worker, 784-500-20, batch 100 (README's bench, 2-core machine). */
export const TYPICAL_RATE: Record<BackendName, number> = {
  'tensorflow-gpu': 20_000,
  tensorflow: 8_000,
  'wasm-blas': 10_000,
  webgpu: 1_500,
  wasm: 2_500,
  cpu: 120
}

export interface WorkItem {
  /** Images left to train. */
  images: number
  /** Images per second of one worker on it. */
  rate: number
  /** Already training (it keeps its worker). */
  running: boolean
}

/** Seconds until every item is done on `workers` workers, in queue order (running ones first). */
export function makespan(items: readonly WorkItem[], workers: number): number {
  const free = Array.from({ length: Math.max(1, workers) }, () => 0)
  const ordered = [...items.filter((i) => i.running), ...items.filter((i) => !i.running)]
  for (const item of ordered) {
    const k = free.indexOf(Math.min(...free))
    free[k] += item.images / Math.max(1e-9, item.rate)
  }
  return Math.max(0, ...free)
}

/** Images one run trains in all: its epochs over its (limited) training set. */
export function runImages(c: Pick<TrainConfig, 'epochs' | 'limitTrain'>, nTrain: number): number {
  return c.epochs * Math.min(c.limitTrain ?? nTrain, nTrain)
}

/** The rate to expect for a config: measured on similar finished runs, else typical for the backend. */
export function expectedRate(
  c: Pick<TrainConfig, 'hidden'>,
  history: readonly { rate: number; hidden: TrainConfig['hidden'] }[],
  backend: BackendName | null
): { rate: number; measured: boolean } {
  const key = formatHidden(c.hidden)
  const similar = history
    .filter((h) => formatHidden(h.hidden) === key && h.rate > 0)
    .map((h) => h.rate)
  if (similar.length) {
    const sorted = [...similar].sort((a, b) => a - b)
    return { rate: sorted[Math.floor(sorted.length / 2)], measured: true }
  }
  // Cost per image grows about linearly with the hidden width (784 x hidden weights dominate;
  // deeper layers add their width too).
  const base = TYPICAL_RATE[backend ?? 'wasm']
  const width = [c.hidden].flat().reduce((a, b) => a + b, 0)
  return { rate: (base * 500) / Math.max(16, width), measured: false }
}

export interface QueueEta {
  seconds: number
  runs: number
  /** False when some rate is a guess (nothing similar has trained here yet). */
  measured: boolean
}

/** The ETA of everything running and queued. */
export function queueEta(
  runs: readonly RunSummary[],
  configOf: (id: number) => TrainConfig | undefined,
  progressOf: (id: number) => { fraction: number; imgPerSec: number } | undefined,
  nTrainOf: (dataset: string) => number,
  workers: number,
  backend: BackendName | null
): QueueEta | null {
  const history = runs
    .filter((r) => r.status === 'completed' && r.imgPerSec)
    .map((r) => ({ rate: r.imgPerSec!, hidden: configOf(r.id)?.hidden ?? 500 }))
  const items: WorkItem[] = []
  let measured = true
  for (const r of runs) {
    if (r.status !== 'running' && r.status !== 'queued') continue
    const c = configOf(r.id)
    const total = c ? runImages(c, nTrainOf(r.dataset)) : r.epochs * nTrainOf(r.dataset)
    const live = progressOf(r.id)
    const done = live ? live.fraction : r.epochsDone / Math.max(1, r.epochs)
    const guess = expectedRate({ hidden: c?.hidden ?? 500 }, history, backend)
    const rate = live?.imgPerSec || r.imgPerSec || guess.rate
    if (!live?.imgPerSec && !r.imgPerSec && !guess.measured) measured = false
    items.push({ images: total * (1 - done), rate, running: r.status === 'running' })
  }
  if (!items.length) return null
  return { seconds: makespan(items, workers), runs: items.length, measured }
}

/** How long a new sweep will take here, after what is already running and queued. */
export function sweepEta(
  configs: readonly TrainConfig[],
  nTrain: number,
  workers: number,
  backend: BackendName | null,
  history: readonly { rate: number; hidden: TrainConfig['hidden'] }[],
  ahead: QueueEta | null
): { seconds: number; after: number; measured: boolean; images: number } {
  let measured = true
  const items = configs.map((c) => {
    const r = expectedRate(c, history, backend)
    if (!r.measured) measured = false
    return { images: runImages(c, nTrain), rate: r.rate, running: false }
  })
  return {
    seconds: makespan(items, workers),
    after: ahead?.seconds ?? 0,
    measured: measured && (ahead?.measured ?? true),
    images: items.reduce((s, i) => s + i.images, 0)
  }
}
