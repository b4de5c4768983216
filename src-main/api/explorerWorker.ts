// worker_threads entry of the latent explorer (issue 17): a figure worker that stays up, keeps the
// decoders of the runs being explored in memory and answers each decode in about a millisecond,
// so dragging in the explorer never waits for a thread to start or for weights to load, and the
// main process's event loop never decodes.
import { parentPort, workerData } from 'node:worker_threads'
import { VaeLabError } from '../common/errors'
import type { DecodedImages, ExplorerInfo } from '../common/workbenchContract'
import { errorPayload } from '../common/validate'
import { readImageSet } from '../core/data/dataset'
import { IMAGE_SIZE } from '../core/data/dataset'
import { decodeEpochFigures } from '../core/figures/epochFigureCodec'
import { decodeLatents } from '../core/model/decodeLatents'
import { openRunStore } from '../core/store/openRunStore'
import type { RunStore } from '../core/store/runStore'
import type { FinalEvaluation } from '../common/contract'
import type { ExplorerAnswer, ExplorerJob, ExplorerRequest } from './explorerProtocol'
import { resolveDataset } from './iwaeEvaluation'
import { openRunModel, type RunModel } from './runModel'

/** Runs whose decoders stay loaded (a 784-500-z MLP is 3 MB of weights). */
const KEEP = 4

interface Loaded {
  key: string
  run: RunModel
  info: ExplorerInfo
}

const job = workerData as ExplorerJob
let store: Promise<RunStore> | null = null
const loaded = new Map<number, Loaded>()
const testImages = new Map<string, Uint8Array>()

const openStore = () => (store ??= openRunStore(job.storeUri))

async function imagesOf(s: RunStore, dataset: string, indices: readonly number[]): Promise<string> {
  let images = testImages.get(dataset)
  if (!images) {
    const info = await resolveDataset(s, dataset)
    images = readImageSet(info.files.testImages, info.files.testLabels).images
    testImages.set(dataset, images)
  }
  const out = new Uint8Array(indices.length * IMAGE_SIZE)
  indices.forEach((i, r) =>
    out.set(images!.subarray(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE), r * IMAGE_SIZE)
  )
  return Buffer.from(out).toString('base64')
}

/** The scatter set's means that go with the weights: the final figure's, else the latest epoch's. */
async function scatterOf(s: RunStore, runId: number, kind: 'final' | 'latest') {
  if (kind === 'final') {
    const f = (await s.figures(runId)).find((x) => x.kind === 'scatter')
    if (f) {
      const mu = new Float32Array(f.data.slice().buffer)
      return { indices: f.meta.indices as number[], labels: f.meta.labels as number[], mu }
    }
  }
  const epochs = await s.figureEpochs(runId)
  if (!epochs.length) return null
  const d = decodeEpochFigures(await s.epochFigures(runId, epochs.at(-1)!, ['scatter']))
  return d.scatter
    ? { indices: d.scatter.indices, labels: d.scatter.labels, mu: d.scatter.mu }
    : null
}

async function load(runId: number, key: string): Promise<Loaded> {
  const have = loaded.get(runId)
  if (have && have.key === key) {
    loaded.delete(runId) // most recently used last
    loaded.set(runId, have)
    return have
  }
  const s = await openStore()
  const record = await s.requireRun(runId)
  const run = await openRunModel(s, record)
  try {
    const scatter = await scatterOf(s, runId, run.weights.kind)
    const d = record.latent
    const points = scatter
      ? Array.from({ length: scatter.labels.length }, (_, i) =>
          Array.from(scatter.mu.subarray(i * d, (i + 1) * d))
        )
      : []
    const final = (await s.evaluations(runId)).final as FinalEvaluation | undefined
    let klPerDim = final?.klPerDim ?? null
    if (!klPerDim) {
      const epochs = await s.figureEpochs(runId)
      if (epochs.length)
        klPerDim =
          decodeEpochFigures(await s.epochFigures(runId, epochs.at(-1)!, ['klperdim'])).klPerDim ??
          null
    }
    const info: ExplorerInfo = {
      runId,
      latentDim: d,
      weights: run.weights,
      points,
      labels: scatter?.labels ?? [],
      indices: scatter?.indices ?? [],
      images: scatter ? await imagesOf(s, record.dataset, scatter.indices) : '',
      klPerDim
    }
    have?.run.model.dispose()
    loaded.delete(runId)
    loaded.set(runId, { key, run, info })
    while (loaded.size > KEEP) {
      const [oldest, entry] = loaded.entries().next().value as [number, Loaded]
      entry.run.model.dispose()
      loaded.delete(oldest)
    }
    return loaded.get(runId)!
  } catch (e) {
    run.model.dispose()
    throw e
  }
}

async function answer(m: ExplorerRequest): Promise<unknown> {
  switch (m.op) {
    case 'info':
      return (await load(m.runId, m.key)).info
    case 'decode': {
      const { run, info } = await load(m.runId, m.key)
      if (m.z.length !== m.rows * info.latentDim)
        throw new VaeLabError(
          'INVALID_INPUT',
          `run ${m.runId}'s latent space has ${info.latentDim} dimensions: give ${info.latentDim} values per point`,
          { field: 'points' }
        )
      const started = performance.now()
      const images = await decodeLatents(run.model, m.z, m.rows)
      const value: DecodedImages = {
        count: m.rows,
        images: Buffer.from(images).toString('base64'),
        ms: performance.now() - started
      }
      return value
    }
    case 'forget': {
      loaded.get(m.runId)?.run.model.dispose()
      loaded.delete(m.runId)
      return null
    }
  }
}

// One request at a time, in order: tfjs has one backend per thread.
let chain: Promise<void> = Promise.resolve()
parentPort?.on('message', (m: ExplorerRequest) => {
  chain = chain.then(async () => {
    let reply: ExplorerAnswer
    try {
      reply = { id: m.id, ok: true, value: await answer(m) }
    } catch (e) {
      reply = { id: m.id, ok: false, error: errorPayload(e) }
    }
    parentPort?.postMessage(reply)
  })
})

// The wasm runtime installs listeners that re-throw (pitfalls.md §1); keep the worker up instead.
process.on('uncaughtException', () => {})
process.on('unhandledRejection', () => {})
