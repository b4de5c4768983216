// The renderer's only door to the main process: named contract methods, never raw ipcRenderer.
import { contextBridge, ipcRenderer } from 'electron'
import type { RunSummary } from '../api/contract'
import { IPC } from './ipcChannels'

type Answer<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } }

async function call<T>(channel: string): Promise<T> {
  const answer = (await ipcRenderer.invoke(channel)) as Answer<T>
  if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`)
  return answer.value
}

contextBridge.exposeInMainWorld('vaeLab', {
  listRuns: () => call<RunSummary[]>(IPC.listRuns)
})
