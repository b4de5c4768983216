import { afterEach, describe, expect, it, vi } from 'vitest'
import { API_METHODS } from '../../../src-main/common/apiMethods'
import type { WorkbenchEvent } from '../../../src-main/common/workbenchContract'
import { registerApiHandlers } from '../../../src-main/electron/apiHandlers'
import { forwardEvents } from '../../../src-main/electron/eventForwarder'

interface FakeEvent {
  trusted: boolean
}

function fakeIpc() {
  const handlers = new Map<string, (event: FakeEvent, ...args: unknown[]) => unknown>()
  return {
    handlers,
    handle: (c: string, l: (event: FakeEvent, ...args: unknown[]) => unknown) =>
      void handlers.set(c, l),
    removeHandler: (c: string) => void handlers.delete(c)
  }
}

describe('registerApiHandlers', () => {
  it('registers one channel per api method and dispatches through invoke', async () => {
    const ipc = fakeIpc()
    const invoke = vi.fn(async (method: string, args: unknown) => ({
      ok: true as const,
      value: { method, args }
    }))
    const unregister = registerApiHandlers(ipc, { invoke }, (e) => e.trusted)
    expect([...ipc.handlers.keys()].sort()).toEqual(
      API_METHODS.map((m) => `vaeLab:call:${m}`).sort()
    )
    await expect(ipc.handlers.get('vaeLab:call:getRun')?.({ trusted: true }, [3])).resolves.toEqual(
      { ok: true, value: { method: 'getRun', args: [3] } }
    )
    unregister()
    expect(ipc.handlers.size).toBe(0)
  })

  it('refuses a message from an untrusted frame without dispatching it', async () => {
    const ipc = fakeIpc()
    const invoke = vi.fn()
    registerApiHandlers(ipc, { invoke }, (e) => e.trusted)
    expect(await ipc.handlers.get('vaeLab:call:deleteRuns')?.({ trusted: false }, [[1]])).toEqual({
      ok: false,
      error: { code: 'UNAUTHORIZED', message: 'this frame may not call the VAE Lab api' }
    })
    expect(invoke).not.toHaveBeenCalled()
  })
})

describe('forwardEvents', () => {
  afterEach(() => vi.useRealTimers())

  it('coalesces batch progress per run and keeps each run in order', () => {
    vi.useFakeTimers()
    let emit: (e: WorkbenchEvent) => void = () => {}
    const sent: WorkbenchEvent[] = []
    const stop = forwardEvents((l) => ((emit = l), () => {}), { send: (e) => sent.push(e) }, 200)
    const batch = (runId: number, batch: number): WorkbenchEvent => ({
      type: 'batch',
      runId,
      epoch: 1,
      epochs: 1,
      batch,
      batches: 9,
      loss: 1,
      imgPerSec: 1,
      etaSeconds: 1
    })
    for (let b = 1; b <= 5; b++) emit(batch(1, b))
    emit(batch(2, 1))
    expect(sent).toEqual([])
    emit({ type: 'status', runId: 1, status: 'completed' })
    // Run 1's pending batch goes before its status; run 2's waits for the timer.
    expect(sent).toEqual([batch(1, 5), { type: 'status', runId: 1, status: 'completed' }])
    emit({ type: 'runs-changed' })
    vi.advanceTimersByTime(200)
    expect(sent.slice(2)).toEqual([{ type: 'runs-changed' }, batch(2, 1)])
    stop()
  })
})
