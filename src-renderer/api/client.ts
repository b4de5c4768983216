// The renderer's one implementation of VaeLabApi (style.md section 3): over the Electron preload
// bridge (window.vaeLab) when it exists, else over the loopback HTTP server of browser mode
// (POST /api/call/<method>, server-sent events on /api/events). Both reject with ApiError.
import {
  API_METHODS,
  type ApiAnswer,
  type VaeLabApi,
  type WorkbenchEvent
} from '../../src-main/common/workbenchContract'
import { ERROR_CODES, type ErrorCode } from '../../src-main/common/contract'

export type ClientErrorCode = ErrorCode | 'UNAUTHORIZED' | 'NETWORK'
export type EventListener = (e: WorkbenchEvent) => void

export class ApiError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    /** The input at fault (a contract field name), for the view to name by its label. */
    readonly field?: string
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** The event stream's state in browser mode: 'lost' while the server cannot be reached. */
export type ConnectionState = 'open' | 'lost'

/** What the preload exposes: the contract's methods plus an event subscription. */
export type Bridge = VaeLabApi & { onEvent(listener: EventListener): () => void }

export type Client = VaeLabApi & {
  readonly mode: 'electron' | 'browser'
  /** Subscribes to training progress and "runs changed"; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void
  /** Hears when the event stream is lost and when it is back (then state may have changed). */
  onConnection?(listener: (state: ConnectionState) => void): () => void
}

const KNOWN_CODES: readonly string[] = [...ERROR_CODES, 'UNAUTHORIZED']

/**
 * Any rejection as an ApiError. IPC errors arrive as Error("CODE: message"), sometimes wrapped by
 * Electron as "Error invoking remote method 'x': Error: CODE: message".
 */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e
  const text = e instanceof Error ? e.message : String(e)
  // The preload sends "CODE: message", or "CODE[field]: message" when the error names its field.
  const m = /(?:^|: )([A-Z_]+)(?:\[([\w.]+)\])?: ([\s\S]*)$/.exec(text)
  if (m && KNOWN_CODES.includes(m[1])) return new ApiError(m[1] as ClientErrorCode, m[3], m[2])
  return new ApiError('INTERNAL', text)
}

/** JSON cannot carry `undefined`: trailing ones are dropped so optional arguments stay absent. */
export function trimArgs(args: readonly unknown[]): unknown[] {
  let n = args.length
  while (n > 0 && args[n - 1] === undefined) n--
  return args.slice(0, n)
}

export interface HttpOptions {
  /** Origin and path prefix of the server; '' is the page's own origin. */
  base?: string
  /** The per-launch token; the page's cookie carries it too, this is for other origins and tests. */
  token?: string | null
  fetch?: typeof fetch
  eventSource?: (
    url: string
  ) => Pick<EventSource, 'onmessage' | 'onopen' | 'onerror' | 'close' | 'readyState'>
  /** Delay before opening a new stream once the browser gave up on one (ms). */
  retryMs?: number
}

export function httpClient(o: HttpOptions = {}): Client {
  const base = o.base ?? ''
  const doFetch = o.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init))
  const listeners = new Set<EventListener>()
  const connection = new Set<(s: ConnectionState) => void>()
  let source: ReturnType<NonNullable<HttpOptions['eventSource']>> | null = null
  let dropped = false
  let retry: ReturnType<typeof setTimeout> | null = null
  const setState = (s: ConnectionState) => connection.forEach((l) => l(s))

  async function call(method: string, args: readonly unknown[]): Promise<unknown> {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (o.token) headers['x-vae-lab-token'] = o.token
    let res: Response
    try {
      res = await doFetch(`${base}/api/call/${encodeURIComponent(method)}`, {
        method: 'POST',
        headers,
        credentials: 'same-origin',
        body: JSON.stringify({ args: trimArgs(args) })
      })
    } catch {
      throw new ApiError(
        'NETWORK',
        'Lost contact with the VAE Lab server. Is `vae-lab serve` still running? Reload the page once it is.'
      )
    }
    let answer: ApiAnswer<unknown>
    try {
      answer = (await res.json()) as ApiAnswer<unknown>
    } catch {
      throw new ApiError(
        res.status === 401 ? 'UNAUTHORIZED' : 'INTERNAL',
        `The server answered ${res.status} ${res.statusText} without a readable body.`
      )
    }
    if (answer && answer.ok === true) return answer.value
    if (answer && answer.ok === false) {
      const code = KNOWN_CODES.includes(answer.error.code)
        ? answer.error.code
        : res.status === 401
          ? 'UNAUTHORIZED'
          : 'INTERNAL'
      throw new ApiError(code, answer.error.message, answer.error.field)
    }
    throw new ApiError('INTERNAL', `The server answered ${res.status} with an unexpected body.`)
  }

  function openEvents() {
    const url = `${base}/api/events${o.token ? `?token=${encodeURIComponent(o.token)}` : ''}`
    const make = o.eventSource ?? ((u: string) => new EventSource(u))
    source = make(url)
    source.onmessage = (m: MessageEvent) => {
      let e: WorkbenchEvent
      try {
        e = JSON.parse(String(m.data)) as WorkbenchEvent
      } catch {
        return
      }
      for (const l of listeners) l(e)
    }
    // A server that stopped shows at once (the stream closes); EventSource retries by itself
    // while CONNECTING, and once it gives up (CLOSED, e.g. an answer other than 200) a new
    // stream is tried every few seconds, so the page comes back when the server does.
    source.onerror = () => {
      if (!dropped) setState('lost')
      dropped = true
      if (source && source.readyState === 2 && !retry && listeners.size) {
        source.close()
        retry = setTimeout(() => {
          retry = null
          if (listeners.size) openEvents()
        }, o.retryMs ?? 3000)
      }
    }
    // After a dropped connection events may have been missed: everything is read again.
    source.onopen = () => {
      if (!dropped) return
      dropped = false
      setState('open')
      for (const l of listeners) l({ type: 'runs-changed' })
    }
  }

  const methods = Object.fromEntries(
    API_METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)])
  )
  return {
    ...(methods as unknown as VaeLabApi),
    mode: 'browser',
    onEvent(listener) {
      listeners.add(listener)
      if (!source) openEvents()
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0 && source) {
          source.close()
          source = null
          if (retry) clearTimeout(retry)
          retry = null
        }
      }
    },
    onConnection(listener) {
      connection.add(listener)
      return () => connection.delete(listener)
    }
  }
}

export function bridgeClient(bridge: Bridge): Client {
  const methods = Object.fromEntries(
    API_METHODS.map((m) => [
      m,
      async (...args: unknown[]) => {
        try {
          return await (bridge[m] as (...a: unknown[]) => Promise<unknown>)(...trimArgs(args))
        } catch (e) {
          throw toApiError(e)
        }
      }
    ])
  )
  return {
    ...(methods as unknown as VaeLabApi),
    mode: 'electron',
    onEvent: (l) => bridge.onEvent(l)
  }
}

/** window.vaeLab in Electron, else the page's own server with the token from `?token=`. */
export function createClient(w: Window = window): Client {
  if (w.vaeLab) return bridgeClient(w.vaeLab)
  return httpClient({ token: new URL(w.location.href).searchParams.get('token') })
}

let instance: Client | null = null

/** The client every store uses; tests put a fake in with setClient. */
export function getClient(): Client {
  return (instance ??= createClient())
}

export function setClient(c: Client | null): void {
  instance = c
}
