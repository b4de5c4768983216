import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TrainConfigSchema, type RunStatus } from '../../src-main/common/contract'
import { VaeLabService } from '../../src-main/api/service'
import { openRunStore } from '../../src-main/core/store/openRunStore'
import type { RunStore } from '../../src-main/core/store/runStore'
import { tempDir } from '../helpers/fixtures'

const tiny = (latentDim: number, epochs = 1) =>
  TrainConfigSchema.parse({
    latentDim,
    epochs,
    hidden: 16,
    batchSize: 50,
    limitTrain: 300,
    limitTest: 100
  })

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

async function open(workers: number) {
  const file = path.join(tempDir(), 'runs.sqlite')
  const store = await openRunStore(file)
  const workbench = new VaeLabService(store, workers)
  cleanup.push(
    () => store.close(),
    () => workbench.stop()
  )
  // Another process on the same file: a CLI with --detach, say.
  const other = await openRunStore(file)
  cleanup.push(() => other.close())
  return { store, workbench, other }
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 60_000) {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const statuses = async (store: RunStore): Promise<RunStatus[]> =>
  (await store.listRuns()).map((r) => r.status)

describe('VaeLabService as the workbench', () => {
  it('trains runs queued by another process, and tells its listeners the runs changed', async () => {
    const { store, workbench, other } = await open(2)
    const events: string[] = []
    workbench.subscribe((e) => events.push(e.type))
    workbench.start()
    await other.createSweep('from-cli', {}, [{ config: tiny(2) }, { config: tiny(3) }])
    await until(
      async () => (await statuses(store)).every((s) => s === 'completed'),
      'both runs to complete'
    )
    expect(events).toContain('runs-changed')
    expect(events).toContain('epoch')

    // Compare: a newer request replaces one still computing; only the newest is answered.
    const runIds = (await store.listRuns()).map((r) => r.id)
    const stale = workbench.api.figureInputs({ runIds, projection: 'tsne' })
    const fresh = workbench.api.figureInputs({ runIds, figures: ['recon'] })
    await expect(stale).rejects.toMatchObject({ code: 'CANCELLED' })
    expect((await fresh).inputs.recon?.rows).toHaveLength(2)
  })

  it('starts a sweep queued while another run trains on the free slot at once', async () => {
    const { store, workbench } = await open(2)
    workbench.start()
    const first = await workbench.api.queueSweep({
      base: { ...tiny(2, 40) },
      grid: { latentDim: [2] }
    })
    await until(
      async () => (await store.getRun(first.runIds[0]))?.status === 'running',
      'the first run to start'
    )
    const second = await workbench.api.queueSweep({
      base: { ...tiny(3) },
      grid: { latentDim: [3] }
    })
    await until(
      async () => (await store.getRun(second.runIds[0]))?.status !== 'queued',
      'the second run to start',
      5_000
    )
    expect((await store.getRun(first.runIds[0]))?.status).toBe('running')
  })

  it('puts runs in training back at the front of the queue when it stops, to continue at the next start', async () => {
    const { store, workbench } = await open(1)
    workbench.start()
    const { runIds } = await workbench.api.queueSweep({
      base: { ...tiny(2, 200) },
      grid: { latentDim: [2] }
    })
    await until(async () => (await store.epochMetrics(runIds[0])).length >= 1, 'an epoch to finish')
    await workbench.stop()
    const run = await store.requireRun(runIds[0])
    expect(run).toMatchObject({ status: 'queued', resumes: 1 })
    expect((await store.checkpoint(runIds[0], 'latest'))?.epoch).toBeGreaterThanOrEqual(1)
  })
})
