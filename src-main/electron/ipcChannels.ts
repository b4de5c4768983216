// IPC channel names, shared by main and preload. One channel per api method, named after it, so
// the main side answers only what the contract names and a channel can't carry a method name.
import type { ApiMethod } from '../common/apiMethods'

export type ApiChannel = `vaeLab:call:${ApiMethod}`

export function ipcChannel(method: ApiMethod): ApiChannel {
  return `vaeLab:call:${method}`
}

/** The one channel on which the main process pushes WorkbenchEvents to the window. */
export const EVENT_CHANNEL = 'vaeLab:event'
