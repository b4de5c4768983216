// The warm pool of training workers: reuse, a failing run followed by a good one on the same
// worker, cancel, a crashed worker replaced, and the dataset decoded once and shared.
import fs from 'node:fs'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import {
  TrainConfigSchema,
  type DatasetInfo,
  type EpochMetrics,
  type TrainConfigInput
} from '../../../../src-main/common/contract'
import { DIGIT_NAMES } from '../../../../src-main/common/classNames'
import { TrainingPool, type TrainingHandle } from '../../../../src-main/core/train/trainingPool'
import type { StoreRequest } from '../../../../src-main/core/train/workerProtocol'
import type { RunResults } from '../../../../src-main/core/store/runStore'
import { loadBlasAddon } from '../../../../src-main/core/backend/blasKernels'
import { syntheticSet, tempDir, writeIdxDataset } from '../../../helpers/fixtures'
import { webGpuHere } from '../../../helpers/webgpu'

const dir = tempDir('vae-lab-pool-')
const dataset: DatasetInfo = {
  name: 'synthetic',
  source: 'imported',
  nTrain: 400,
  nTest: 120,
  files: writeIdxDataset(dir, syntheticSet(400, 1), syntheticSet(120, 2)),
  classNames: [...DIGIT_NAMES]
}
const backend = loadBlasAddon().ok ? 'wasm-blas' : 'wasm'
const gpu = await webGpuHere('trainingPool.test.ts')
const config = (over: Partial<TrainConfigInput> = {}) =>
  TrainConfigSchema.parse({
    latentDim: 2,
    hidden: 24,
    batchSize: 50,
    epochs: 2,
    dataset: 'synthetic',
    ...over
  })

interface Trained {
  handle: TrainingHandle
  epochs: EpochMetrics[]
  results: RunResults[]
  batches: number
}

/** A run on the pool, its writes made here (writer 'parent') instead of in a store. */
function train(
  pool: TrainingPool,
  runId: number,
  over: Partial<TrainConfigInput> = {},
  resume?: { epoch: number; tensors: Uint8Array },
  on: 'wasm' | 'wasm-blas' | 'webgpu' = backend
): Trained {
  const t: Trained = { epochs: [], results: [], batches: 0 } as unknown as Trained
  t.handle = pool.start(
    {
      runId,
      storeUri: 'sqlite:/nonexistent/never-opened.sqlite',
      writer: 'parent',
      config: config(over),
      dataset,
      backend: on,
      resume
    },
    {
      onBatch: () => t.batches++,
      onStore: async (r: StoreRequest) => {
        if (r.op === 'epoch') t.epochs.push(r.metrics)
        else {
          // The last epoch comes with the results, in their transaction.
          if (r.results.lastEpoch) t.epochs.push(r.results.lastEpoch.metrics)
          t.results.push(r.results)
        }
      }
    }
  )
  return t
}

/** The numbers of an epoch, without its timings. */
const numbers = (e: EpochMetrics) => ({ ...e, imgPerSec: 0, seconds: 0 })

const pools: TrainingPool[] = []
const newPool = (o: ConstructorParameters<typeof TrainingPool>[0] = {}) => {
  const p = new TrainingPool({ cores: 1, ...o })
  pools.push(p)
  return p
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
  delete process.env.VAE_LAB_TEST_CRASH_RUN
  delete process.env.VAE_LAB_TEST_CRASH_LOAD
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('TrainingPool', () => {
  it('decodes a preloaded dataset while warming, once: the run that follows uses that load', async () => {
    const pool = newPool()
    pool.warm(1, dataset)
    // The decode starts with no run asked for (it stamps the files first, asynchronously).
    await vi.waitFor(() => expect(pool.stats()).toMatchObject({ spawned: 1, datasetLoads: 1 }))
    const run = train(pool, 1, { seed: 5 })
    expect((await run.handle.done).status).toBe('completed')
    expect(pool.stats()).toMatchObject({ spawned: 1, datasetLoads: 1 })
    expect(pool.jobs()[0].end).toMatchObject({ sharedData: true })
  })

  it('trains run after run on one warm worker, with exactly the numbers of a fresh worker', async () => {
    const pool = newPool()
    const first = train(pool, 1, { seed: 5 })
    expect((await first.handle.done).status).toBe('completed')
    const second = train(pool, 2, { seed: 6, latentDim: 3 })
    expect((await second.handle.done).status).toBe('completed')
    const third = train(pool, 3, { seed: 5 })
    expect((await third.handle.done).status).toBe('completed')

    const jobs = pool.jobs()
    expect(jobs.map((j) => j.worker)).toEqual([jobs[0].worker, jobs[0].worker, jobs[0].worker])
    expect(jobs.map((j) => j.reuse)).toEqual([0, 1, 2])
    expect(pool.stats()).toMatchObject({ spawned: 1, replaced: 0, datasetLoads: 1, training: 0 })
    // Nothing of a run is left for the next one: no tensor, and the same numbers as a first run.
    for (const j of jobs) expect(j.end).toMatchObject({ clean: true, sharedData: true })
    for (const j of jobs) expect(j.end?.memory.numTensors).toBe(0)
    expect(third.epochs.map(numbers)).toEqual(first.epochs.map(numbers))
    expect(third.results[0].evaluation).toEqual(first.results[0].evaluation)
    expect(first.epochs).toHaveLength(2)
  })

  it('keeps a worker whose run failed, and trains the next run on it as on a fresh one', async () => {
    const pool = newPool()
    const fresh = train(pool, 1, { seed: 9, epochs: 1 })
    await fresh.handle.done
    // A damaged checkpoint fails the run after its model was made (its variables are left over).
    const bad = train(pool, 2, { seed: 9, epochs: 2 }, { epoch: 1, tensors: new Uint8Array(16) })
    await expect(bad.handle.done).rejects.toMatchObject({ code: 'DATA_CORRUPT' })
    // A config the trainer refuses: fewer images than one batch.
    const refused = train(pool, 3, { limitTrain: 20 })
    await expect(refused.handle.done).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    const good = train(pool, 4, { seed: 9, epochs: 1 })
    expect((await good.handle.done).status).toBe('completed')

    const jobs = pool.jobs()
    expect(new Set(jobs.map((j) => j.worker)).size).toBe(1)
    expect(jobs.map((j) => j.end?.clean)).toEqual([true, true, true, true])
    expect(jobs[1].end?.memory.numTensors).toBe(0)
    expect(good.epochs.map(numbers)).toEqual(fresh.epochs.map(numbers))
    expect(pool.stats().replaced).toBe(0)
  })

  it('gives a warm worker the numbers of a cold one-shot worker for the same seed', async () => {
    const cold = train(newPool({ oneShot: true }), 1, { seed: 7 })
    expect((await cold.handle.done).status).toBe('completed')
    const pool = newPool()
    await train(pool, 1, { seed: 8, latentDim: 5, beta: 2 }).handle.done
    await train(pool, 2, { seed: 7, limitTrain: 200 }).handle.done
    const warm = train(pool, 3, { seed: 7 })
    expect((await warm.handle.done).status).toBe('completed')
    expect(pool.jobs().map((j) => j.reuse)).toEqual([0, 1, 2])
    expect(warm.epochs.map(numbers)).toEqual(cold.epochs.map(numbers))
    expect(warm.results[0].evaluation).toEqual(cold.results[0].evaluation)
  })

  it('keeps a worker whose run diverged to NaN, and its next run has the numbers of a fresh one', async () => {
    const pool = newPool()
    const fresh = train(pool, 1, { seed: 11, epochs: 1 })
    await fresh.handle.done
    const diverged = train(pool, 2, { seed: 11, epochs: 3, lr: 1e8 })
    const outcome = await diverged.handle.done
    expect(outcome.status).toBe('diverged')
    const next = train(pool, 3, { seed: 11, epochs: 1 })
    expect((await next.handle.done).status).toBe('completed')
    const jobs = pool.jobs()
    expect(new Set(jobs.map((j) => j.worker)).size).toBe(1)
    expect(jobs[1].end).toMatchObject({ clean: true, memory: { numTensors: 0 } })
    expect(next.epochs.map(numbers)).toEqual(fresh.epochs.map(numbers))
    expect(next.epochs.every((e) => Number.isFinite(e.test.nelbo))).toBe(true)
  })

  it('cancels a 10,000-epoch run mid-way, and the worker trains the next one', async () => {
    const pool = newPool()
    const long = train(pool, 1, { epochs: 10000 })
    while (long.batches === 0) await new Promise((r) => setTimeout(r, 10))
    long.handle.cancel()
    const outcome = await long.handle.done
    expect(outcome.status).toBe('cancelled')
    const next = train(pool, 2, { epochs: 1 })
    expect((await next.handle.done).status).toBe('completed')
    expect(pool.jobs().map((j) => j.reuse)).toEqual([0, 1])
  })

  it('stops at the end of the epoch when asked to, with that epoch stored', async () => {
    const pool = newPool()
    const run = train(pool, 1, { epochs: 10000 })
    while (run.batches === 0) await new Promise((r) => setTimeout(r, 10))
    run.handle.stopAtEpochEnd()
    const outcome = await run.handle.done
    expect(outcome.status).toBe('cancelled')
    expect(outcome.epochsDone).toBeGreaterThanOrEqual(1)
    expect(run.epochs).toHaveLength(outcome.epochsDone)
  })

  it('replaces a worker that crashes: its run fails, the next run trains on a new worker', async () => {
    process.env.VAE_LAB_TEST_CRASH_RUN = '2' // read by workers as they start
    const pool = newPool()
    await train(pool, 1, { epochs: 1 }).handle.done
    const crashed = train(pool, 2, { epochs: 1 })
    await expect(crashed.handle.done).rejects.toThrow(/training worker exited before finishing/)
    const next = train(pool, 3, { epochs: 1 })
    expect((await next.handle.done).status).toBe('completed')
    const jobs = pool.jobs()
    expect(jobs[2].worker).not.toBe(jobs[1].worker)
    expect(jobs[2].reuse).toBe(0)
    expect(pool.stats()).toMatchObject({ spawned: 2, replaced: 1, workers: 1 })
  })

  it('decodes the dataset again on the next worker when the worker decoding it dies', async () => {
    const marker = `${dir}/crash-load`
    fs.writeFileSync(marker, '')
    process.env.VAE_LAB_TEST_CRASH_LOAD = marker // read by workers as they decode
    const pool = newPool({ cores: 2 })
    const a = train(pool, 1, { seed: 4, epochs: 1 })
    const b = train(pool, 2, { seed: 4, epochs: 1 })
    await expect(a.handle.done).rejects.toThrow(/training worker exited before finishing/)
    expect((await b.handle.done).status).toBe('completed')
    expect(pool.stats()).toMatchObject({ datasetLoads: 2, replaced: 1 })
    expect(b.epochs).toHaveLength(1)
  })

  it('replaces a worker terminated by its caller', async () => {
    const pool = newPool()
    const run = train(pool, 1, { epochs: 10000 })
    while (run.batches === 0) await new Promise((r) => setTimeout(r, 10))
    run.handle.terminate()
    await expect(run.handle.done).rejects.toThrow(/terminated/)
    expect((await train(pool, 2, { epochs: 1 }).handle.done).status).toBe('completed')
    expect(pool.stats()).toMatchObject({ spawned: 2, replaced: 1 })
  })

  it('trains runs side by side on several workers that read one decoded copy of the dataset', async () => {
    const pool = newPool({ cores: 2 })
    const a = train(pool, 1, { seed: 4, epochs: 1 })
    const b = train(pool, 2, { seed: 4, epochs: 1 })
    expect(pool.stats()).toMatchObject({ training: 2, threadBudget: 1 })
    await Promise.all([a.handle.done, b.handle.done])
    const jobs = pool.jobs()
    expect(jobs[0].worker).not.toBe(jobs[1].worker)
    expect(pool.stats()).toMatchObject({ datasetLoads: 1, training: 0, threadBudget: 2 })
    for (const j of jobs) expect(j.end?.sharedData).toBe(true)
    // Identical data on both workers: the same run gives the same numbers on each.
    expect(b.epochs.map(numbers)).toEqual(a.epochs.map(numbers))
  })

  it('reads the dataset again when its files change, and fails a run whose files are gone', async () => {
    const pool = newPool()
    const other = tempDir('vae-lab-pool-data-')
    const moved: DatasetInfo = {
      ...dataset,
      files: writeIdxDataset(other, syntheticSet(400, 3), syntheticSet(120, 4))
    }
    const run = (info: DatasetInfo, runId: number) =>
      pool.start(
        {
          runId,
          storeUri: 'sqlite:/nonexistent.sqlite',
          writer: 'parent',
          config: config({ epochs: 1 }),
          dataset: info,
          backend
        },
        { onStore: async () => {} }
      ).done
    await run(dataset, 1)
    await run(moved, 2)
    expect(pool.stats().datasetLoads).toBe(2)
    await run(dataset, 3)
    expect(pool.stats().datasetLoads).toBe(2) // still decoded
    const gone: DatasetInfo = {
      ...dataset,
      files: { ...dataset.files, trainImages: `${dir}/nope` }
    }
    await expect(run(gone, 4)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect((await run(dataset, 5)).status).toBe('completed')
    expect(pool.stats().replaced).toBe(0)
  })

  it.skipIf(gpu.skip)(
    "reuses a webgpu worker: its second run of a seed gives the first one's numbers",
    async () => {
      const pool = newPool()
      const small = { epochs: 1, limitTrain: 200, limitTest: 100, seed: 3 }
      const first = train(pool, 1, small, undefined, 'webgpu')
      expect((await first.handle.done).status).toBe('completed')
      const other = train(pool, 2, { ...small, seed: 4 }, undefined, 'webgpu')
      await other.handle.done
      const again = train(pool, 3, small, undefined, 'webgpu')
      expect((await again.handle.done).status).toBe('completed')
      expect(pool.jobs().map((j) => j.reuse)).toEqual([0, 1, 2])
      expect(again.epochs.map(numbers)).toEqual(first.epochs.map(numbers))
      // A wasm run after them gets a worker of its own.
      await train(pool, 4, small).handle.done
      expect(pool.jobs()[3].reuse).toBe(0)
    }
  )
})
