// Messages for the user: api errors (stay until dismissed) and confirmations (fade after a while).
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { toApiError, type ClientErrorCode } from '../api/client'

export interface Notice {
  id: number
  kind: 'error' | 'info'
  title: string
  text: string
  code?: ClientErrorCode
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

export const useNotices = defineStore('notices', () => {
  const items = ref<Notice[]>([])
  let next = 1

  function push(n: Omit<Notice, 'id'>, ttlMs: number | null): number {
    const id = next++
    // The same error twice in a row (a refresh loop) shows once.
    const last = items.value.at(-1)
    if (last && last.title === n.title && last.text === n.text) return last.id
    items.value.push({ ...n, id })
    if (items.value.length > 5) items.value.shift()
    if (ttlMs !== null) setTimeout(() => dismiss(id), ttlMs)
    return id
  }

  /** Shows an api failure; `doing` says what the user asked for ("Queue the sweep"). */
  function error(e: unknown, doing?: string): void {
    const err = toApiError(e)
    push(
      {
        kind: 'error',
        code: err.code,
        title: doing
          ? `${doing}: ${(TITLES[err.code] ?? TITLES.INTERNAL!).toLowerCase()}`
          : (TITLES[err.code] ?? TITLES.INTERNAL!),
        text: err.message
      },
      null
    )
  }

  /** A problem that is not an api failure (a run diverged): stays until dismissed. */
  function alert(title: string, text = ''): void {
    push({ kind: 'error', title, text }, null)
  }

  function info(title: string, text = ''): void {
    push({ kind: 'info', title, text }, 5000)
  }

  function dismiss(id: number): void {
    items.value = items.value.filter((n) => n.id !== id)
  }

  return { items, error, alert, info, dismiss }
})
