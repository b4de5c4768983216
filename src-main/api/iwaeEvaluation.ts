// The importance-weighted bound of a run (Burda et al. 2015), for the CLI's `eval` (here, in one
// pass) and for the UI (in a worker, in slices, so it can report progress and the UI stays live).
import type { DatasetInfo, IwaeReport, IwaeRequest } from '../common/contract'
import { VaeLabError } from '../common/errors'
import { initBackend, selectBackend } from '../core/backend/backends'
import { builtinMnistInfo, headOf, loadDataset, type ImageSet } from '../core/data/dataset'
import { evaluationImages } from '../core/data/pixels'
import { iwaeBound } from '../core/model/evaluate'
import { INPUT_DIM } from '../core/model/vae'
import { disposeModel } from '../core/model/vaeModel'
import type { RunStore } from '../core/store/runStore'
import { modelFromCheckpoint } from '../core/train/checkpoint'

/** A dataset by name, the built-in MNIST or an imported one; NOT_FOUND lists the known ones. */
export async function resolveDataset(store: RunStore, name: string): Promise<DatasetInfo> {
  if (name === 'mnist') return builtinMnistInfo()
  const info = await store.getDataset(name)
  if (!info) {
    const known = ['mnist', ...(await store.listDatasets()).map((d) => d.name)].join(', ')
    throw new VaeLabError(
      'NOT_FOUND',
      `unknown dataset "${name}"; known datasets: ${known} (import it on the Datasets page or with \`vae-lab data import\`)`,
      { field: 'dataset' }
    )
  }
  return info
}

function slice(set: ImageSet, from: number, to: number): ImageSet {
  return {
    images: set.images.subarray(from * INPUT_DIM, to * INPUT_DIM),
    labels: set.labels.subarray(from, to),
    count: to - from
  }
}

/**
 * Computes and stores `iwae/k=K` for a run. `slices` > 1 splits the test set so `onProgress` can
 * report (each slice gets its own noise seed, so the estimate differs from one pass by noise only).
 */
export async function evaluateRunIwae(
  store: RunStore,
  req: IwaeRequest,
  o: { slices?: number; onProgress?: (done: number, total: number) => void } = {}
): Promise<IwaeReport> {
  const run = await store.requireRun(req.runId)
  const checkpoint =
    (await store.checkpoint(req.runId, 'final')) ?? (await store.checkpoint(req.runId, 'latest'))
  if (!checkpoint)
    throw new VaeLabError(
      'NOT_FOUND',
      `run ${req.runId} has no saved weights yet (status ${run.status})`
    )
  const backend = await initBackend((await selectBackend(req.backend)).name)
  const cfg = run.config
  const test = evaluationImages(
    headOf(
      loadDataset(await resolveDataset(store, cfg.dataset)).test,
      req.limitTest ?? cfg.limitTest
    ),
    cfg.pixels
  )
  const model = modelFromCheckpoint(
    cfg,
    checkpoint.tensors,
    `run ${req.runId}'s checkpoint`,
    backend
  )
  try {
    const slices = Math.max(1, Math.min(o.slices ?? 1, test.count))
    let sum = 0
    o.onProgress?.(0, test.count)
    for (let s = 0; s < slices; s++) {
      const from = Math.floor((s * test.count) / slices)
      const to = Math.floor(((s + 1) * test.count) / slices)
      const seed = slices === 1 ? cfg.seed : (cfg.seed + 7919 * s) % 2 ** 31
      const part = await iwaeBound(model, slice(test, from, to), req.k, seed)
      sum += part.nll * part.images
      o.onProgress?.(to, test.count)
    }
    const report: IwaeReport = { k: req.k, images: test.count, nll: sum / test.count }
    await store.saveEvaluation(req.runId, `iwae/k=${req.k}`, { ...report, backend: backend.name })
    return report
  } finally {
    disposeModel(model)
  }
}
