// Electron main process: one window with the security baseline of design.md section 4, the api
// over IPC (one channel per method, sender checked on every message), and the workbench working
// the run queue in worker threads. The core stays free of electron; only this folder imports it.
import path from 'node:path'
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  protocol,
  session,
  type IpcMainInvokeEvent,
  type WebFrameMain
} from 'electron'
import { VaeLabService } from '../api/service'
import { openRunStore, type RunStore } from '../api/runtime'
import { registerApiHandlers } from './apiHandlers'
import { APP_ENTRY, APP_SCHEME, devServerOrigin, isAppUrl } from './appUrls'
import { forwardEvents } from './eventForwarder'
import { EVENT_CHANNEL } from './ipcChannels'
import { explainNativeLoadError } from './nativeAbi'
import { hardenContents, hardenSession, serveAppProtocol } from './security'

// Set by electron.vite.config.ts: true only in `electron-vite dev`'s build of this file.
declare const __VAE_LAB_DEV_BUILD__: boolean

// electron-vite's dev server, only in a dev build, unpackaged, and only on loopback.
const devOrigin = devServerOrigin(process.env.ELECTRON_RENDERER_URL, {
  packaged: app.isPackaged,
  devBuild: typeof __VAE_LAB_DEV_BUILD__ !== 'undefined' && __VAE_LAB_DEV_BUILD__
})
const rendererDir = path.join(__dirname, '../renderer')

// Before `ready`: every renderer sandboxed, and app:// a standard, secure origin (so the page
// gets same-origin module scripts and a CSP header, which file:// can't give).
app.enableSandbox()
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }
])

let window: BrowserWindow | null = null

/** Only the app's own top frame, showing the app's own page, may call the api. */
function trustedFrame(frame: WebFrameMain | null): boolean {
  const main = window && !window.isDestroyed() ? window.webContents.mainFrame : null
  if (!frame || !main) return false
  return (
    frame.processId === main.processId &&
    frame.routingId === main.routingId &&
    isAppUrl(frame.url, devOrigin)
  )
}

/** The store VAE_LAB_DB names, else the user's SQLite file (the one registry decides). */
async function openStore(): Promise<RunStore | null> {
  try {
    return await openRunStore()
  } catch (e) {
    const why =
      explainNativeLoadError(e, process.versions) ?? (e instanceof Error ? e.message : String(e))
    console.error(`vae-lab: cannot open the database: ${why}`)
    dialog.showErrorBox('VAE Lab cannot open its database', why)
    return null
  }
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 900,
    minHeight: 600,
    title: 'VAE Lab',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      // Middle-click opens links in new windows; the window-open handler denies them anyway.
      disableBlinkFeatures: 'Auxclick'
    }
  })
  win.once('ready-to-show', () => win.show())
  return win
}

async function start(): Promise<void> {
  if (!app.requestSingleInstanceLock()) return app.quit()
  app.on('second-instance', () => window?.focus())
  // Every web contents, present and future (DevTools included), gets the navigation policy.
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, devOrigin))
  await app.whenReady()

  const store = await openStore()
  if (!store) return app.exit(1)
  const workbench = new VaeLabService(store)
  await workbench.ready()
  hardenSession(session.defaultSession, devOrigin)
  serveAppProtocol(session.defaultSession, APP_SCHEME, rendererDir)
  // The desktop app answers chooseFolder itself, with the native dialog (issue 13); the service
  // answers everything else.
  const dispatcher = {
    invoke: async (method: string, args: unknown) => {
      if (method !== 'chooseFolder') return workbench.invoke(method, args)
      const r = await (window
        ? dialog.showOpenDialog(window, { properties: ['openDirectory', 'createDirectory'] })
        : dialog.showOpenDialog({ properties: ['openDirectory', 'createDirectory'] }))
      return { ok: true as const, value: r.canceled ? null : (r.filePaths[0] ?? null) }
    }
  }
  const unregister = registerApiHandlers(ipcMain, dispatcher, (event: IpcMainInvokeEvent) =>
    trustedFrame(event.senderFrame)
  )

  // The first backend probe loads modules synchronously (about 100 ms, measured with
  // bench/eventLoopLag.mjs); do it now rather than in the middle of the first sweep.
  await workbench.api.backends()
  window = createWindow()
  const contents = window.webContents
  const stopEvents = forwardEvents((l) => workbench.subscribe(l), {
    send: (e) => (contents.isDestroyed() ? undefined : contents.send(EVENT_CHANNEL, e))
  })
  window.on('closed', () => {
    stopEvents()
    window = null
  })
  // Start training only once someone can watch it (runs left queued continue now).
  workbench.start()

  let stopping = false
  app.on('before-quit', (event) => {
    if (stopping) return
    stopping = true
    event.preventDefault()
    // Running runs are cancelled (resumable) and the database closed before the process goes.
    void workbench
      .stop()
      .catch((e: unknown) => console.error('vae-lab: stopping the queue failed:', e))
      .finally(() => {
        unregister()
        void store.close().finally(() => app.quit())
      })
  })

  await window.loadURL(devOrigin ? (process.env.ELECTRON_RENDERER_URL as string) : APP_ENTRY)
}

app.on('window-all-closed', () => app.quit())
start().catch((e: unknown) => {
  console.error('vae-lab: the app failed to start:', e)
  dialog.showErrorBox('VAE Lab failed to start', e instanceof Error ? e.message : String(e))
  app.exit(1)
})
