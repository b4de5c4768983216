import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { RunSummary } from '../../../src-main/common/contract'
import type { WorkbenchEvent } from '../../../src-main/common/workbenchContract'
import { ApiError, setClient, type Client } from '../../../src-renderer/api/client'
import { useNotices } from '../../../src-renderer/stores/notices'
import { useRuns } from '../../../src-renderer/stores/runs'

function run(id: number, over: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    name: `latent ${id}`,
    sweep: 's',
    status: 'running',
    dataset: 'mnist',
    latent: 2,
    backend: 'wasm',
    epochs: 2,
    epochsDone: 0,
    trainNelbo: null,
    testNelbo: null,
    testRec: null,
    testKl: null,
    imgPerSec: null,
    createdAt: '2026-01-01T00:00:00Z',
    ...over
  }
}

function fakeClient(runs: RunSummary[]) {
  let listener: ((e: WorkbenchEvent) => void) | null = null
  const client = {
    mode: 'browser',
    listRuns: vi.fn(async () => runs.map((r) => ({ ...r }))),
    runFacets: vi.fn(async () => []),
    cancelRun: vi.fn(async (id: number) => {
      if (id === 2) throw new ApiError('NOT_FOUND', 'no run 2')
      return 'requested'
    }),
    onEvent: (l: (e: WorkbenchEvent) => void) => {
      listener = l
      return () => (listener = null)
    }
  } as unknown as Client
  return { client, emit: (e: WorkbenchEvent) => listener?.(e) }
}

describe('runs store', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    setActivePinia(createPinia())
  })
  afterEach(() => {
    vi.useRealTimers()
    setClient(null)
  })

  it("shows a run's first progress at once and coalesces the rest to one update per 250 ms", async () => {
    const { client, emit } = fakeClient([run(1)])
    setClient(client)
    const runs = useRuns()
    await runs.start()
    for (let b = 1; b <= 50; b++)
      emit({
        type: 'batch',
        runId: 1,
        epoch: 1,
        epochs: 2,
        batch: b,
        batches: 100,
        loss: 200,
        imgPerSec: 5000,
        etaSeconds: 10
      })
    expect(runs.progress.get(1)).toMatchObject({ batch: 1 })
    vi.advanceTimersByTime(260)
    expect(runs.progress.get(1)).toMatchObject({ batch: 50, fraction: 0.25 })
  })

  it('updates a row in place when an epoch finishes and tells run detail', async () => {
    const { client, emit } = fakeClient([run(1)])
    setClient(client)
    const runs = useRuns()
    await runs.start()
    const heard = vi.fn()
    runs.onEpoch(heard)
    const parts = { nelbo: 150, rec: 140, kl: 10 }
    emit({
      type: 'epoch',
      runId: 1,
      metrics: {
        epoch: 1,
        train: parts,
        test: parts,
        testPerDigit: [],
        imgPerSec: 4000,
        seconds: 2
      }
    })
    expect(runs.byId.get(1)).toMatchObject({ epochsDone: 1, testNelbo: 150, imgPerSec: 4000 })
    expect(heard).toHaveBeenCalledWith(1, expect.objectContaining({ epoch: 1 }))
  })

  it('refreshes once after a burst of runs-changed events', async () => {
    const { client, emit } = fakeClient([run(1)])
    setClient(client)
    const runs = useRuns()
    await runs.start()
    for (let i = 0; i < 10; i++) emit({ type: 'runs-changed' })
    await vi.advanceTimersByTimeAsync(400)
    expect(client.listRuns).toHaveBeenCalledTimes(2)
  })

  it('shows a diverged run as a message that stays', async () => {
    const { client, emit } = fakeClient([run(1)])
    setClient(client)
    const runs = useRuns()
    await runs.start()
    emit({ type: 'status', runId: 1, status: 'diverged' })
    expect(useNotices().items[0]).toMatchObject({
      kind: 'error',
      title: 'latent 1 (run 1) diverged'
    })
    expect(runs.byId.get(1)?.status).toBe('diverged')
  })

  it('reports each failed action with the api message and carries on with the rest', async () => {
    const { client } = fakeClient([run(1), run(2)])
    setClient(client)
    const runs = useRuns()
    await runs.start()
    await runs.cancel([1, 2])
    const items = useNotices().items
    expect(items.find((n) => n.kind === 'error')).toMatchObject({
      title: 'Cancel run 2: not found',
      text: 'no run 2'
    })
    expect(items.find((n) => n.kind === 'info')?.title).toBe('Cancelling 1 run')
  })
})
