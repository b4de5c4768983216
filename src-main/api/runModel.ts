// A run's decoder from its stored weights, for the figure worker and the latent explorer: the
// final checkpoint if the run finished, else the latest (a run still training), on the fastest
// backend here, built by the trainer's own model code (core/model/latentModel.ts).
import { VaeLabError } from '../common/errors'
import { initBackend, selectBackend } from '../core/backend/backends'
import { loadLatentModel, type LatentModel } from '../core/model/latentModel'
import type { RunRecord, RunStore } from '../core/store/runStore'

export interface RunModel {
  model: LatentModel & { dispose(): void }
  /** Which checkpoint the weights are from. */
  weights: { kind: 'final' | 'latest'; epoch: number }
}

/** The backend decoders run on: chosen once per thread (tfjs has one active backend). */
let backend: ReturnType<typeof initBackend> | null = null
export function decodingBackend() {
  backend ??= selectBackend('auto').then((s) => initBackend(s.name))
  backend.catch(() => (backend = null))
  return backend
}

export async function openRunModel(store: RunStore, run: RunRecord): Promise<RunModel> {
  const checkpoint =
    (await store.checkpoint(run.id, 'final')) ?? (await store.checkpoint(run.id, 'latest'))
  if (!checkpoint)
    throw new VaeLabError(
      'NOT_FOUND',
      `run ${run.id} has no saved weights yet (status ${run.status}): it can be decoded after its first epoch`
    )
  const env = await decodingBackend()
  return {
    model: loadLatentModel(run.config, checkpoint.tensors, `run ${run.id}'s checkpoint`, env),
    weights: { kind: checkpoint.kind, epoch: checkpoint.epoch }
  }
}
