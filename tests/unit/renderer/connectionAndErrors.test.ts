import { describe, expect, it, vi } from 'vitest'
import { httpClient, toApiError, type ConnectionState } from '../../../src-renderer/api/client'
import { makespan, queueEta, sweepEta } from '../../../src-renderer/model/eta'
import { fieldLabel, uiMessage } from '../../../src-renderer/model/fieldLabels'
import { TrainConfigSchema } from '../../../src-main/common/contract'
import type { WorkbenchEvent } from '../../../src-main/common/workbenchContract'

type FakeSource = {
  onmessage: ((m: MessageEvent) => void) | null
  onopen: (() => void) | null
  onerror: (() => void) | null
  readyState: number
  close: () => void
}

describe('the event stream in browser mode', () => {
  it('reports a lost server at once, tries again when the browser gave up, and refreshes when back', async () => {
    vi.useFakeTimers()
    const sources: FakeSource[] = []
    const client = httpClient({
      retryMs: 1000,
      eventSource: () => {
        const s: FakeSource = {
          onmessage: null,
          onopen: null,
          onerror: null,
          readyState: 0,
          close: vi.fn()
        }
        sources.push(s)
        return s as unknown as EventSource
      }
    })
    const states: ConnectionState[] = []
    const events: WorkbenchEvent[] = []
    client.onConnection!((s) => states.push(s))
    client.onEvent((e) => events.push(e))
    sources[0].onopen?.()
    sources[0].readyState = 2 // CLOSED: e.g. the new server answered 401
    sources[0].onerror?.()
    expect(states).toEqual(['lost'])
    vi.advanceTimersByTime(1000)
    expect(sources).toHaveLength(2)
    sources[1].onopen?.()
    expect(states).toEqual(['lost', 'open'])
    expect(events).toEqual([{ type: 'runs-changed' }])
    vi.useRealTimers()
  })
})

describe('errors worded for the UI', () => {
  it('reads the field the preload sends with an error', () => {
    const e = toApiError(
      new Error("Error invoking remote method 'x': Error: INVALID_INPUT[limitTrain]: too few")
    )
    expect(e).toMatchObject({ code: 'INVALID_INPUT', field: 'limitTrain', message: 'too few' })
  })

  it("names a field by the form's label, never by a CLI flag or the contract's name", () => {
    expect(uiMessage('limitTrain: 50 training images are fewer than one batch', 'limitTrain')).toBe(
      'Limit training images: 50 training images are fewer than one batch'
    )
    expect(uiMessage('queueSweep: 0.batchSize: must be at least 1', 'batchSize')).toBe(
      'Batch size: must be at least 1'
    )
    expect(fieldLabel('grid.latentDim')).toBe('Latent dimensions')
    expect(uiMessage('outDir: cannot write', 'outDir')).not.toContain('--')
  })
})

describe('ETA', () => {
  const cfg = (epochs: number, limitTrain?: number) =>
    TrainConfigSchema.parse({ latentDim: 2, epochs, limitTrain })

  it('lays queued runs out over the workers, not just the running ones', () => {
    expect(makespan([{ images: 100, rate: 10, running: true }], 2)).toBe(10)
    expect(
      makespan(
        [
          { images: 100, rate: 10, running: true },
          { images: 100, rate: 10, running: false },
          { images: 100, rate: 10, running: false }
        ],
        2
      )
    ).toBe(20)
    const runs = [
      { id: 1, status: 'running', epochs: 2, epochsDone: 1, dataset: 'mnist', imgPerSec: 1000 },
      { id: 2, status: 'queued', epochs: 2, epochsDone: 0, dataset: 'mnist', imgPerSec: null }
    ] as never
    const eta = queueEta(
      runs,
      () => cfg(2, 1000),
      () => undefined,
      () => 60000,
      1,
      'wasm'
    )!
    // Run 1: half of 2 x 1,000 images left at its 1,000/s = 1 s; run 2 (queued, nothing measured
    // like it yet): 2,000 images at wasm's typical 2,500/s = 0.8 s; one worker: one after the other.
    expect(eta.runs).toBe(2)
    expect(eta.seconds).toBeCloseTo(1.8)
    expect(eta.measured).toBe(false)
  })

  it('says when an estimate is only a guess', () => {
    const e = sweepEta([cfg(10)], 60000, 2, 'wasm-blas', [], null)
    expect(e.measured).toBe(false)
    expect(e.seconds).toBeCloseTo((10 * 60000) / 10000)
    const measured = sweepEta([cfg(10)], 60000, 2, 'wasm-blas', [{ rate: 5000, hidden: 500 }], null)
    expect(measured.measured).toBe(true)
    expect(measured.seconds).toBeCloseTo(120)
  })
})
