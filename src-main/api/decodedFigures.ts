// The figures decoded from a run's weights (issue 17): latent traversals, interpolation (linear
// and spherical) and samples from the prior, from the same points the latent explorer decodes.
import { VaeLabError } from '../common/errors'
import type {
  InterpolationInput,
  RunLabel,
  SamplesInput,
  TraversalInput
} from '../common/figures/figureInputs'
import {
  defaultBase,
  defaultPair,
  dimsByKl,
  lerp,
  priorSamples,
  SAMPLE_GRID,
  slerp,
  traversalPoints,
  traversalValues
} from '../common/latentPaths'
import { headOf, loadDataset } from '../core/data/dataset'
import { evaluationImages } from '../core/data/pixels'
import { decodeLatents, packPoints } from '../core/model/decodeLatents'
import { klPerDim } from '../core/model/epochFigures'
import type { RunRecord, RunStore } from '../core/store/runStore'
import { resolveDataset } from './iwaeEvaluation'
import { openRunModel } from './runModel'

/** The scatter set's latent means: where traversals and interpolations start. */
export interface LatentSet {
  indices: readonly number[]
  labels: readonly number[]
  mu: readonly (readonly number[])[]
}

export interface DecodedWanted {
  traversal: boolean
  interpolation: boolean
  samples: boolean
}

export interface DecodedInputs {
  traversal?: TraversalInput
  interpolation?: InterpolationInput
  samples?: SamplesInput
}

/** Prior draws are seeded: every run of a latent dim decodes the same z. */
export const SAMPLES_SEED = 17

export async function decodedInputs(
  store: RunStore,
  record: RunRecord,
  label: RunLabel,
  latents: LatentSet | null,
  klPerDim: readonly number[] | null,
  want: DecodedWanted,
  epoch?: number
): Promise<DecodedInputs> {
  const { model, weights } = await openRunModel(store, record)
  try {
    if (epoch !== undefined && weights.epoch !== epoch)
      throw new VaeLabError(
        'INVALID_INPUT',
        `traversals, interpolations and samples are decoded from a run's weights, which are kept for its last epoch only (run ${record.id}: epoch ${weights.epoch}); leave --epoch out for them, or ask for epoch ${weights.epoch}`,
        { field: 'epoch' }
      )
    const d = record.latent
    const out: DecodedInputs = {}
    const decode = async (points: number[][]) =>
      decodeLatents(model, packPoints(points, d), points.length)
    if ((want.traversal || want.interpolation) && (!latents || !latents.mu.length))
      throw new VaeLabError(
        'NOT_FOUND',
        `run ${record.id} has no stored latent means to start traversals or interpolations from`
      )
    if (want.traversal && latents) {
      const at = defaultBase(latents.labels)
      const dims = dimsByKl(klPerDim ?? Array.from({ length: d }, () => 0))
      const values = traversalValues()
      out.traversal = {
        run: label,
        dims,
        values,
        base: { index: latents.indices[at], label: latents.labels[at] },
        images: await decode(traversalPoints(latents.mu[at], dims, values))
      }
    }
    if (want.interpolation && latents) {
      const [a, b] = defaultPair(latents.labels)
      const steps = 10
      out.interpolation = {
        run: label,
        from: { index: latents.indices[a], label: latents.labels[a] },
        to: { index: latents.indices[b], label: latents.labels[b] },
        steps,
        rows: [
          { method: 'linear', images: await decode(lerp(latents.mu[a], latents.mu[b], steps)) },
          { method: 'spherical', images: await decode(slerp(latents.mu[a], latents.mu[b], steps)) }
        ]
      }
    }
    if (want.samples) {
      out.samples = {
        run: label,
        grid: SAMPLE_GRID,
        seed: SAMPLES_SEED,
        images: await decode(priorSamples(SAMPLE_GRID * SAMPLE_GRID, d, SAMPLES_SEED))
      }
    }
    return out
  } finally {
    model.dispose()
  }
}

/**
 * KL per latent dim of a run stored before it was recorded (issue 17): computed from its weights
 * on its test set, as the trainer does now after every epoch.
 */
export async function klFromWeights(store: RunStore, record: RunRecord): Promise<number[]> {
  const cfg = record.config
  const test = evaluationImages(
    headOf(loadDataset(await resolveDataset(store, cfg.dataset)).test, cfg.limitTest),
    cfg.pixels
  )
  const { model } = await openRunModel(store, record)
  try {
    return await klPerDim(model, test)
  } finally {
    model.dispose()
  }
}
