// The preload's bridge (design.md section 4, style.md section 4): exactly the api's methods plus
// onEvent, one channel per method, errors as `CODE: message`, and events without the IPC event.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { API_METHODS } from '../../../src-main/common/apiMethods'
import type { VaeLabBridge, WorkbenchEvent } from '../../../src-main/common/workbenchContract'
import { EVENT_CHANNEL, ipcChannel } from '../../../src-main/electron/ipcChannels'

type Listener = (event: unknown, ...args: unknown[]) => void
const electron = vi.hoisted(() => {
  const listeners = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>()
  return {
    listeners,
    exposed: new Map<string, unknown>(),
    invoke: vi.fn<(channel: string, ...args: unknown[]) => Promise<unknown>>(),
    on: vi.fn((channel: string, l: (event: unknown, ...args: unknown[]) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set())
      listeners.get(channel)?.add(l)
    }),
    removeListener: vi.fn((channel: string, l: (event: unknown, ...args: unknown[]) => void) =>
      listeners.get(channel)?.delete(l)
    )
  }
})

vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (key: string, api: unknown) => electron.exposed.set(key, api)
  },
  ipcRenderer: {
    invoke: electron.invoke,
    on: electron.on,
    removeListener: electron.removeListener,
    send: vi.fn(),
    sendSync: vi.fn()
  }
}))

async function loadPreload(): Promise<VaeLabBridge> {
  vi.resetModules()
  electron.exposed.clear()
  await import('../../../src-main/electron/preload')
  expect([...electron.exposed.keys()]).toEqual(['vaeLab'])
  return electron.exposed.get('vaeLab') as VaeLabBridge
}

beforeEach(() => {
  electron.invoke.mockReset()
  electron.listeners.clear()
})

describe('preload bridge', () => {
  it('exposes window.vaeLab with exactly the api methods and onEvent, frozen', async () => {
    const bridge = await loadPreload()
    expect(Object.keys(bridge).sort()).toEqual([...API_METHODS, 'onEvent'].sort())
    for (const key of Object.keys(bridge))
      expect(typeof (bridge as unknown as Record<string, unknown>)[key]).toBe('function')
    expect(Object.isFrozen(bridge)).toBe(true)
    // Nothing of ipcRenderer leaks through.
    expect(bridge).not.toHaveProperty('invoke')
    expect(bridge).not.toHaveProperty('send')
  })

  it('calls each method on its own channel with the arguments as one array, and resolves the value', async () => {
    const bridge = await loadPreload()
    electron.invoke.mockResolvedValue({ ok: true, value: [{ id: 1 }] })
    await expect(bridge.listRuns({ status: 'completed' })).resolves.toEqual([{ id: 1 }])
    expect(electron.invoke).toHaveBeenLastCalledWith('vaeLab:call:listRuns', [
      { status: 'completed' }
    ])
    electron.invoke.mockResolvedValue({ ok: true, value: undefined })
    await bridge.setPriority(3, 7)
    expect(electron.invoke).toHaveBeenLastCalledWith(ipcChannel('setPriority'), [3, 7])
    const channels = new Set(API_METHODS.map(ipcChannel))
    expect(channels.size).toBe(API_METHODS.length)
  })

  it('rejects with an Error whose message is "CODE: message"', async () => {
    const bridge = await loadPreload()
    electron.invoke.mockResolvedValue({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'no run 9' }
    })
    await expect(bridge.getRun(9)).rejects.toThrow(new Error('NOT_FOUND: no run 9'))
    electron.invoke.mockResolvedValue(undefined)
    await expect(bridge.getRun(9)).rejects.toThrow(
      /^INTERNAL: getRun: the main process sent no answer$/
    )
  })

  it('hands listeners the event payload only, never the IpcRendererEvent, and unsubscribes', async () => {
    const bridge = await loadPreload()
    const got: unknown[][] = []
    const off = bridge.onEvent((...args: unknown[]) => got.push(args))
    const ipcEvent = { sender: { send: () => {} }, ports: [] }
    const payload: WorkbenchEvent = { type: 'runs-changed' }
    for (const l of electron.listeners.get(EVENT_CHANNEL) ?? []) (l as Listener)(ipcEvent, payload)
    expect(got).toEqual([[payload]])
    off()
    expect(electron.listeners.get(EVENT_CHANNEL)?.size).toBe(0)
    expect(() => bridge.onEvent('x' as unknown as (e: WorkbenchEvent) => void)).toThrow(TypeError)
  })
})
