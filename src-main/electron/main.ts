// Electron main process: one window with the security baseline of design.md section 4, and the
// IPC adapter over the service. The core stays free of electron; only this folder imports it.
import path from 'node:path'
import { app, BrowserWindow, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron'
import { VaeLabService } from '../api/service'
import { isVaeLabError } from '../core/errors'
import { defaultDatabase } from '../core/paths'
import { SqliteRunStore } from '../core/store/sqliteRunStore'
import { IPC } from './ipcChannels'

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'"

let window: BrowserWindow | null = null

function fromOurWindow(e: IpcMainInvokeEvent): boolean {
  return window !== null && e.sender === window.webContents && e.senderFrame === window.webContents.mainFrame
}

function handle<T>(channel: string, body: () => T | Promise<T>) {
  ipcMain.handle(channel, async (e) => {
    if (!fromOurWindow(e)) return { ok: false, error: { code: 'UNAUTHORIZED', message: 'unknown sender' } }
    try {
      return { ok: true, value: await body() }
    } catch (err) {
      if (isVaeLabError(err)) return { ok: false, error: { code: err.code, message: err.message } }
      return { ok: false, error: { code: 'INTERNAL', message: String(err) } }
    }
  })
}

async function start() {
  await app.whenReady()
  const store = new SqliteRunStore(defaultDatabase())
  const service = new VaeLabService(store)
  handle(IPC.listRuns, () => service.listRuns())
  app.on('will-quit', () => store.close())

  session.defaultSession.webRequest.onHeadersReceived((details, callback) =>
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  )
  window = new BrowserWindow({
    width: 1280,
    height: 860,
    title: 'VAE Lab',
    webPreferences: {
      preload: path.join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true
    }
  })
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https:')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (e) => e.preventDefault())
  if (process.env.ELECTRON_RENDERER_URL) await window.loadURL(process.env.ELECTRON_RENDERER_URL)
  else await window.loadFile(path.join(__dirname, '../renderer/index.html'))
}

app.on('window-all-closed', () => app.quit())
void start()
