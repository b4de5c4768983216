// The renderer's only door to the main process (design.md section 4): runs sandboxed, with
// context isolation, and exposes the api contract's methods and an event subscription, nothing else.
import { contextBridge, ipcRenderer } from 'electron'
import { createBridge } from './preloadBridge'

contextBridge.exposeInMainWorld('vaeLab', createBridge(ipcRenderer))
