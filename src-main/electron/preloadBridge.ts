// The object the preload exposes as `window.vaeLab`, built from the api's method names only: one
// `invoke` per method on its own channel, and an event subscription that hands the page the event
// payload, never the IpcRendererEvent (whose `sender` would give the page ipcRenderer itself).
// Only `import type` from the contract, so the sandboxed CommonJS preload carries no zod.
import { API_METHODS, type ApiMethod } from '../common/apiMethods'
import type { ApiAnswer, VaeLabBridge, WorkbenchEvent } from '../common/workbenchContract'
import { EVENT_CHANNEL, ipcChannel } from './ipcChannels'

/** The part of Electron's ipcRenderer the bridge uses; tests pass a fake. */
export interface BridgeIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
}

function isAnswer(x: unknown): x is ApiAnswer<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { ok?: unknown }).ok === 'boolean'
}

/** Resolves an ApiAnswer's value, or rejects with `CODE: message` (only an Error's message crosses the bridge). */
function unwrap(method: ApiMethod, answer: unknown): unknown {
  if (!isAnswer(answer)) throw new Error(`INTERNAL: ${method}: the main process sent no answer`)
  if (answer.ok) return answer.value
  const { code, message, field } = answer.error
  throw new Error(`${code}${field ? `[${field}]` : ''}: ${message}`)
}

export function createBridge(ipc: BridgeIpc): VaeLabBridge {
  const bridge: Record<string, unknown> = {}
  for (const method of API_METHODS) {
    const channel = ipcChannel(method)
    // The args travel as one array, as the HTTP adapter's {args}: the main side validates it.
    bridge[method] = async (...args: unknown[]) => unwrap(method, await ipc.invoke(channel, args))
  }
  bridge.onEvent = (listener: (e: WorkbenchEvent) => void) => {
    if (typeof listener !== 'function') throw new TypeError('onEvent needs a function')
    const relay = (_event: unknown, payload: unknown) => listener(payload as WorkbenchEvent)
    ipc.on(EVENT_CHANNEL, relay)
    return () => {
      ipc.removeListener(EVENT_CHANNEL, relay)
    }
  }
  // Built by name from API_METHODS; workbenchContract checks at compile time that those names are
  // exactly VaeLabApi's, so the cast only forgets the per-method argument types.
  return Object.freeze(bridge) as unknown as VaeLabBridge
}
