// The IPC adapter: one `ipcMain.handle` per api method, each a generic handler that checks who is
// asking and dispatches through `workbench.invoke` (which validates the arguments and never throws).
// Errors therefore cross as `{ ok: false, error: { code, message } }`, not as Electron's rewrapped
// exceptions, which keep only the message (style.md section 9).
import { API_METHODS } from '../common/apiMethods'
import type { ApiAnswer } from '../common/workbenchContract'
import { ipcChannel } from './ipcChannels'

/** The part of ipcMain used here (tests pass a fake). */
export interface HandlerRegistry<E> {
  handle(channel: string, listener: (event: E, ...args: unknown[]) => unknown): void
  removeHandler(channel: string): void
}

export interface Dispatcher {
  invoke(method: string, args: unknown): Promise<ApiAnswer<unknown>>
}

const REFUSED: ApiAnswer<never> = {
  ok: false,
  error: { code: 'UNAUTHORIZED', message: 'this frame may not call the VAE Lab api' }
}

/**
 * Registers every method's channel; `trusted(event)` must say whether the sending frame is the
 * app's own main frame (design.md section 4). Returns the function that removes the handlers.
 */
export function registerApiHandlers<E>(
  ipc: HandlerRegistry<E>,
  workbench: Dispatcher,
  trusted: (event: E) => boolean
): () => void {
  const channels = API_METHODS.map((method) => {
    const channel = ipcChannel(method)
    ipc.handle(channel, (event, args) =>
      trusted(event) ? workbench.invoke(method, args) : REFUSED
    )
    return channel
  })
  return () => channels.forEach((c) => ipc.removeHandler(c))
}
