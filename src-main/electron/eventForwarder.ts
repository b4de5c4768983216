// Pushes WorkbenchEvents to the window. Batch progress is coalesced per run (the newest within
// `intervalMs` wins) so a sweep with many workers can't flood the renderer; epoch and status events
// go at once, after any batch event of the same run still pending, so the order per run holds.
import type { WorkbenchEvent } from '../common/workbenchContract'

export interface EventTarget {
  send(event: WorkbenchEvent): void
}

export function forwardEvents(
  subscribe: (listener: (e: WorkbenchEvent) => void) => () => void,
  target: EventTarget,
  intervalMs = 200
): () => void {
  const pending = new Map<number, WorkbenchEvent>()
  let timer: ReturnType<typeof setTimeout> | null = null

  const flush = (runId?: number) => {
    for (const [id, e] of pending) {
      if (runId !== undefined && id !== runId) continue
      pending.delete(id)
      target.send(e)
    }
  }

  const unsubscribe = subscribe((e) => {
    if (e.type === 'batch') {
      pending.set(e.runId, e)
      timer ??= setTimeout(() => {
        timer = null
        flush()
      }, intervalMs)
      return
    }
    if ('runId' in e) flush(e.runId)
    target.send(e)
  })

  return () => {
    unsubscribe()
    if (timer) clearTimeout(timer)
    pending.clear()
  }
}
