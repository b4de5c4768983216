import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TrainConfigSchema, type EpochMetrics } from '../../../../src-main/common/contract'
import { openRunStore } from '../../../../src-main/core/store/openRunStore'
import type { RunStore } from '../../../../src-main/core/store/runStore'
import { copyRuns } from '../../../../src-main/core/store/runTransfer'
import { tempDir } from '../../../helpers/fixtures'

const open: RunStore[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})
async function store() {
  const s = await openRunStore(path.join(tempDir(), 'runs.sqlite'))
  open.push(s)
  return s
}
const config = (latentDim: number) => TrainConfigSchema.parse({ latentDim, epochs: 2 })
const metrics = (epoch: number): EpochMetrics => ({
  epoch,
  train: { nelbo: 200 - epoch, rec: 190, kl: 10 },
  test: { nelbo: 195 - epoch, rec: 185, kl: 10 },
  testPerDigit: Array.from({ length: 10 }, () => null),
  imgPerSec: 1000,
  seconds: 1
})

/** A cluster store with a sweep: run 1 finished (2 epochs), run 2 still training. */
async function cluster() {
  const s = await store()
  const { runIds } = await s.createSweep('paper', { latentDim: [2, 5] }, [
    { config: config(2), name: 'latent 2' },
    { config: config(5), name: 'latent 5' }
  ])
  const c = await s.claimNextQueued('node:1', { runIds: [runIds[0]], onLost: 'requeue' })
  for (const e of [1, 2])
    await s.appendEpoch(
      runIds[0],
      metrics(e),
      { kind: 'latest', epoch: e, tensors: new Uint8Array([e]) },
      c!.token
    )
  await s.saveFigures(runIds[0], [{ kind: 'recon', meta: { n: 1 }, data: new Uint8Array([7, 8]) }])
  await s.saveEvaluation(runIds[0], 'final', { ok: true })
  await s.addTag(runIds[0], 'cluster')
  await s.finishRun(runIds[0], 'completed', null, 1000, c!.token)
  await s.claimNextQueued('node:2', { runIds: [runIds[1]], onLost: 'requeue' })
  return { s, runIds }
}

describe('copyRuns', () => {
  it('copies finished runs with everything stored for them, and leaves running ones for later', async () => {
    const { s, runIds } = await cluster()
    const laptop = await store()
    const report = await copyRuns(s, laptop, { sweep: 'paper' })
    expect(report).toMatchObject({
      added: [runIds[0]],
      skipped: [{ id: runIds[1], status: 'running' }]
    })
    const [copy] = await laptop.listRuns({ sweep: 'paper' })
    expect(copy).toMatchObject({
      name: 'latent 2',
      status: 'completed',
      epochsDone: 2,
      worker: 'node:1'
    })
    expect((await laptop.epochMetrics(copy.id)).map((m) => m.test.nelbo)).toEqual([194, 193])
    expect(Array.from((await laptop.checkpoint(copy.id, 'latest'))!.tensors)).toEqual([2])
    expect((await laptop.figures(copy.id)).map((f) => Array.from(f.data))).toEqual([[7, 8]])
    expect(await laptop.evaluations(copy.id)).toEqual({ final: { ok: true } })
    expect((await laptop.getRun(copy.id))?.tags).toEqual(['cluster'])
    expect((await laptop.attempts(copy.id)).map((a) => a.outcome)).toEqual(['completed'])
  })

  it('adds nothing the second time, brings a copy up to date, and keeps one that moved on', async () => {
    const { s, runIds } = await cluster()
    const laptop = await store()
    await copyRuns(s, laptop)
    expect(await copyRuns(s, laptop)).toMatchObject({ added: [], unchanged: [runIds[0]] })
    expect(await laptop.countRuns()).toBe(1)

    await s.rename(runIds[0], 'renamed on the cluster')
    expect((await copyRuns(s, laptop)).updated).toEqual([runIds[0]])
    const [copy] = await laptop.listRuns()
    expect(copy.name).toBe('renamed on the cluster')
    expect(await laptop.epochMetrics(copy.id)).toHaveLength(2)

    await laptop.finishRun(copy.id, 'interrupted', null, null)
    await laptop.requeueForResume(copy.id)
    expect((await copyRuns(s, laptop)).kept).toEqual([runIds[0]])
    expect((await laptop.getRun(copy.id))?.status).toBe('queued')
  })

  it('keeps a different sweep of the same name at the target, naming the copy apart', async () => {
    const { s } = await cluster()
    const laptop = await store()
    await laptop.createSweep('paper', {}, [{ config: config(10) }])
    await copyRuns(s, laptop)
    const sweeps = new Set((await laptop.listRuns()).map((r) => r.sweep))
    expect([...sweeps]).toEqual(['paper', expect.stringMatching(/^paper \[[0-9a-f]{8}\]$/)])
  })

  it('refuses to copy a store onto itself, and a sweep the source does not have', async () => {
    const { s } = await cluster()
    const same = await openRunStore(s.uri)
    open.push(same)
    await expect(copyRuns(s, same)).rejects.toThrow(/both the source and the target/)
    await expect(copyRuns(s, await store(), { sweep: 'nope' })).rejects.toThrow(
      /no runs in a sweep named "nope"/
    )
  })
})
