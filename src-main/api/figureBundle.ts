// The Compare view's data: figure inputs for the chosen runs, with the analyses (PCA/UMAP/t-SNE,
// k-NN) already run. Heavy (0.3 s with PCA, seconds with UMAP): the workbench runs it in a worker.
import type { RunStore } from '../core/store/runStore'
import { collectFigureInputs } from './collectFigureInputs'
import { EXPORT_FIGURES } from '../common/exportContract'
import { resolveRuns } from './exportService'
import type { FigureBundle, FigureRequest } from '../common/workbenchContract'

/** Typed arrays become plain arrays, so the bundle survives JSON as well as structured clone. */
function plainArrays<T>(value: T): T {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as Uint8Array) as unknown as T
  if (Array.isArray(value)) return value.map(plainArrays) as unknown as T
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainArrays(v)])) as T
  }
  return value
}

/** `r` was validated by the api's boundary (FigureRequestSchema) before it reached the worker. */
export async function figureBundle(store: RunStore, r: FigureRequest): Promise<FigureBundle> {
  const runs = await resolveRuns(store, { runIds: r.runIds })
  const collected = await collectFigureInputs(store, runs, {
    ...r,
    figures: new Set(r.figures ?? EXPORT_FIGURES),
    strict: false
  })
  return plainArrays({
    inputs: collected.inputs,
    separability: collected.separability,
    skipped: collected.skipped,
    figureEpochs: collected.figureEpochs,
    ...(collected.grouped ? { grouped: collected.grouped } : {}),
    ...(r.epoch !== undefined ? { epoch: r.epoch } : {})
  })
}
