// Messages for the user: api errors and confirmations, in a short stack that never covers the work
// for long. Errors stay 12 s (info 5 s), at most three show, and a repeat is counted, not stacked.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { toApiError, type ClientErrorCode } from '../api/client'
import { uiMessage } from '../model/fieldLabels'

export interface Notice {
  id: number
  kind: 'error' | 'info'
  title: string
  text: string
  code?: ClientErrorCode
  /** How many times the same message came. */
  count: number
}

/** Titles that say what kind of problem it is; the message from the api says what to do. */
const TITLES: Partial<Record<string, string>> = {
  INVALID_INPUT: 'Check the input',
  NOT_FOUND: 'Not found',
  DATA_CORRUPT: 'The data could not be read',
  BACKEND_UNAVAILABLE: 'Backend not available',
  DATABASE_INCOMPATIBLE: 'Incompatible database',
  INTERNAL: 'Something went wrong',
  UNAUTHORIZED: 'Not authorised: open the URL that `vae-lab serve` printed',
  NETWORK: 'No connection'
}

export const MAX_NOTICES = 3
export const ERROR_MS = 12_000
export const INFO_MS = 5_000

export const useNotices = defineStore('notices', () => {
  const items = ref<Notice[]>([])
  let next = 1
  const timers = new Map<number, ReturnType<typeof setTimeout>>()

  function schedule(id: number, ttlMs: number) {
    clearTimeout(timers.get(id))
    timers.set(
      id,
      setTimeout(() => dismiss(id), ttlMs)
    )
  }

  function push(n: Omit<Notice, 'id' | 'count'>, ttlMs: number): number {
    // The same message again (a refresh loop, one failure per selected run) shows once, counted.
    const same = items.value.find((x) => x.title === n.title && x.text === n.text)
    if (same) {
      same.count++
      schedule(same.id, ttlMs)
      return same.id
    }
    const id = next++
    items.value.push({ ...n, id, count: 1 })
    while (items.value.length > MAX_NOTICES) dismiss(items.value[0].id)
    schedule(id, ttlMs)
    return id
  }

  /** Shows an api failure; `doing` says what the user asked for ("Queue the sweep"). */
  function error(e: unknown, doing?: string): void {
    const err = toApiError(e)
    // A request replaced by a newer one is not a failure the user needs to hear about.
    if (err.code === 'CANCELLED') return
    push(
      {
        kind: 'error',
        code: err.code,
        title: doing
          ? `${doing}: ${(TITLES[err.code] ?? TITLES.INTERNAL!).toLowerCase()}`
          : (TITLES[err.code] ?? TITLES.INTERNAL!),
        text: uiMessage(err.message, err.field)
      },
      ERROR_MS
    )
  }

  /** A problem that is not an api failure (a run diverged). */
  function alert(title: string, text = ''): void {
    push({ kind: 'error', title, text }, ERROR_MS)
  }

  function info(title: string, text = ''): void {
    push({ kind: 'info', title, text }, INFO_MS)
  }

  function dismiss(id: number): void {
    clearTimeout(timers.get(id))
    timers.delete(id)
    items.value = items.value.filter((n) => n.id !== id)
  }

  /** Keeps a notice while the pointer or focus is on it (reading it), restarting its time after. */
  function hold(id: number, holding: boolean): void {
    const n = items.value.find((x) => x.id === id)
    if (!n) return
    if (holding) clearTimeout(timers.get(id))
    else schedule(id, n.kind === 'error' ? ERROR_MS : INFO_MS)
  }

  return { items, error, alert, info, dismiss, hold }
})
