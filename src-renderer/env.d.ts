// Globals the renderer sees: Vite's client types and, in Electron only, the preload's bridge.
/// <reference types="vite/client" />
import type { Bridge } from './api/client'

declare global {
  interface Window {
    /** Present in Electron only: the preload's bridge to the main process. */
    vaeLab?: Bridge
  }
}
