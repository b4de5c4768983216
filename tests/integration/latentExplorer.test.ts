// The latent explorer (issue 17) end to end: a tiny real run, its stored weights decoded in the
// explorer's long-lived worker, compared with what the trainer's own decoder wrote at the last
// epoch (the 20 x 20 manifold of a 2-D run), plus the errors a client can cause.
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VaeLabService } from '../../src-main/api/service'
import { decodeEpochFigures } from '../../src-main/core/figures/epochFigureCodec'
import { openRunStore } from '../../src-main/core/store/openRunStore'
import type { RunStore } from '../../src-main/core/store/runStore'
import { tempDir } from '../helpers/fixtures'

let store: RunStore
let service: VaeLabService
let run2 = 0
let run3 = 0

beforeAll(async () => {
  store = await openRunStore(path.join(tempDir('vae-lab-explorer-'), 'runs.sqlite'))
  service = new VaeLabService(store, 1)
  const { runs } = await service.trainSweep(
    {
      base: { epochs: 2, limitTrain: 400, limitTest: 200, hidden: 16, batchSize: 50 },
      grid: { latentDim: [2, 3] }
    },
    () => {},
    { workers: 1 }
  )
  run2 = runs.find((r) => r.latent === 2)!.id
  run3 = runs.find((r) => r.latent === 3)!.id
}, 120_000)

afterAll(async () => {
  await service?.stop()
  await store?.close()
})

describe('latent explorer', () => {
  it('decodes the stored weights to the images the trainer decoded at the last epoch', async () => {
    const epochs = await store.figureEpochs(run2)
    expect(epochs).toEqual([1, 2])
    const last = decodeEpochFigures(await store.epochFigures(run2, 2, ['manifold']))
    const m = last.manifold!
    const points = m.ys.flatMap((y) => m.xs.map((x) => [x, y]))
    const answer = await service.api.decodeLatent(run2, points)
    expect(answer.count).toBe(points.length)
    const mine = Buffer.from(answer.images, 'base64')
    expect(mine.length).toBe(points.length * 784)
    // Same weights, same decoder code; the batch shapes differ (chunks of 128 against 400 rows),
    // which may move a float32 sum by an ulp and a grey level by one.
    let worst = 0
    for (let i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs(mine[i] - m.images[i]))
    expect(worst).toBeLessThanOrEqual(1)
    // Not a constant image: the decoded points differ from each other.
    expect(Buffer.compare(mine.subarray(0, 784), mine.subarray(784 * 399))).not.toBe(0)
  })

  it('answers a run with its scatter set, weights and KL per dim', async () => {
    const info = await service.api.latentExplorer(run3)
    expect(info).toMatchObject({ runId: run3, latentDim: 3, weights: { kind: 'final', epoch: 2 } })
    expect(info.points.length).toBe(info.labels.length)
    expect(info.points.length).toBeGreaterThan(0)
    expect(info.points.every((p) => p.length === 3)).toBe(true)
    expect(Buffer.from(info.images, 'base64').length).toBe(info.indices.length * 784)
    expect(info.klPerDim).toHaveLength(3)
  })

  it('answers each decode with the time the worker took (speed itself: bench/explorer.mjs)', async () => {
    const a = await service.api.decodeLatent(run2, [
      [0, 0],
      [1, -1]
    ])
    expect(a.count).toBe(2)
    expect(Number.isFinite(a.ms) && a.ms >= 0).toBe(true)
    // Two different points, two different images.
    const px = Buffer.from(a.images, 'base64')
    expect(Buffer.compare(px.subarray(0, 784), px.subarray(784))).not.toBe(0)
  })

  it('refuses points of the wrong dimension and runs without weights', async () => {
    await expect(service.api.decodeLatent(run3, [[0, 0]])).rejects.toMatchObject({
      code: 'INVALID_INPUT'
    })
    const queued = await service.api.queueSweep({ base: { epochs: 1 }, grid: { latentDim: [2] } })
    await expect(service.api.latentExplorer(queued.runIds[0])).rejects.toMatchObject({
      code: 'NOT_FOUND'
    })
    await expect(service.api.decodeLatent(99_999, [[0, 0]])).rejects.toMatchObject({
      code: 'NOT_FOUND'
    })
  })
})
