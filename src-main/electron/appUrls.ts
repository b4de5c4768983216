// Which URLs the window may load and which frames may call the api: pure functions, so the policy
// is unit-tested without Electron. The UI is served from a custom scheme rather than file://,
// because file:// pages share one origin with every local file and get no response headers (CSP).
import path from 'node:path'

export const APP_SCHEME = 'vae-lab'
export const APP_ORIGIN = `${APP_SCHEME}://app`
export const APP_ENTRY = `${APP_ORIGIN}/index.html`

/**
 * True for the app's own pages and assets; in development also for electron-vite's dev server
 * (`devOrigin`, a loopback http origin). Everything else is remote content and is refused.
 */
export function isAppUrl(url: string, devOrigin?: string): boolean {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  if (`${u.protocol}//${u.host}` === APP_ORIGIN) return true
  return devOrigin !== undefined && u.origin === devOrigin
}

/** Requests the renderer may make at all: the app, inline data, and DevTools' own pages. */
export function isAllowedRequest(url: string, devOrigin?: string): boolean {
  if (/^(data|blob|devtools|chrome-devtools):/i.test(url)) return true
  if (isAppUrl(url, devOrigin)) return true
  // Vite's HMR socket in development: the same host as the dev server.
  if (devOrigin && url.startsWith(devOrigin.replace(/^http/, 'ws'))) return true
  return false
}

/**
 * A loopback http(s) origin from ELECTRON_RENDERER_URL, or undefined: never a remote dev URL, and
 * only in a development build (`electron-vite dev`) that is not packaged. The variable is read
 * from the environment, which anything that starts the app can set: an unpackaged production
 * build (`npm start`) must not trust whatever loopback page it names as the app's own frame.
 */
export function devServerOrigin(
  rendererUrl: string | undefined,
  build: { packaged: boolean; devBuild: boolean }
): string | undefined {
  if (!rendererUrl || build.packaged || !build.devBuild) return undefined
  try {
    const u = new URL(rendererUrl)
    const loopback =
      u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]'
    return (u.protocol === 'http:' || u.protocol === 'https:') && loopback ? u.origin : undefined
  } catch {
    return undefined
  }
}

/** The file under `root` that an app URL names, or null for anything outside it (`..`, odd hosts). */
export function appFile(root: string, url: string): string | null {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return null
  }
  if (`${u.protocol}//${u.host}` !== APP_ORIGIN) return null
  let rel: string
  try {
    rel = decodeURIComponent(u.pathname).replace(/^\/+/, '')
  } catch {
    return null
  }
  const base = path.resolve(root)
  const file = path.resolve(base, rel === '' ? 'index.html' : rel)
  return file.startsWith(base + path.sep) ? file : null
}

/**
 * Hosts the app may send the system browser to: the paper and its references, and the project's
 * code. Anything else a page could make the app open (a download, a phishing page, a custom
 * handler) stays closed.
 */
export const EXTERNAL_HOSTS: readonly string[] = [
  'arxiv.org',
  'doi.org',
  'github.com',
  'openreview.net',
  'proceedings.neurips.cc',
  'yann.lecun.com'
]

/** Links the app may hand to the system browser: https, default port, no credentials, known hosts. */
export function isExternalLink(url: string): boolean {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  return (
    u.protocol === 'https:' &&
    u.port === '' &&
    u.username === '' &&
    u.password === '' &&
    EXTERNAL_HOSTS.includes(u.hostname)
  )
}
