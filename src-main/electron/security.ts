// The Electron security baseline of design.md section 4 that is not a BrowserWindow option: the
// app:// protocol with its CSP header, a network filter that refuses remote content, no
// permissions, and no navigation, new windows or <webview> in any web contents.
import fs from 'node:fs'
import path from 'node:path'
import { shell, type Session, type WebContents } from 'electron'
import { CONTENT_TYPES, CSP } from '../adapters/webAssets'
import { appFile, isAllowedRequest, isAppUrl, isExternalLink } from './appUrls'

/** Serves the built renderer at vae-lab://app/ with the CSP as a response header (not a meta tag). */
export function serveAppProtocol(ses: Session, scheme: string, rendererDir: string): void {
  ses.protocol.handle(scheme, async (request) => {
    const file = appFile(rendererDir, request.url)
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile())
      return new Response('not found', { status: 404 })
    const body = await fs.promises.readFile(file)
    return new Response(new Uint8Array(body), {
      headers: {
        'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store'
      }
    })
  })
}

/** Session-wide: no remote requests, CSP on every http response (the dev server), no permissions. */
export function hardenSession(ses: Session, devOrigin: string | undefined): void {
  ses.webRequest.onBeforeRequest((details, callback) =>
    callback({ cancel: !isAllowedRequest(details.url, devOrigin) })
  )
  ses.webRequest.onHeadersReceived((details, callback) =>
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  )
  // Copying a table or a figure's numbers is the one thing a lab tool needs; nothing else
  // (camera, notifications, geolocation, ...) is ever granted.
  const allowed = new Set(['clipboard-sanitized-write'])
  ses.setPermissionRequestHandler((_contents, permission, callback) =>
    callback(allowed.has(permission))
  )
  ses.setPermissionCheckHandler((_contents, permission) => allowed.has(permission))
  // Chromium's spellchecker downloads dictionaries from Google: remote content.
  ses.setSpellCheckerEnabled(false)
}

/** For every web contents the app creates: no navigation away, no new windows, no <webview>. */
export function hardenContents(contents: WebContents, devOrigin: string | undefined): void {
  const stay = (event: { preventDefault(): void }, url: string) => {
    // Reloading the app's own page is fine; the SPA routes in-page, which fires no will-navigate.
    if (!isAppUrl(url, devOrigin)) event.preventDefault()
  }
  contents.on('will-navigate', (event) => stay(event, event.url))
  contents.on('will-frame-navigate', (event) => stay(event, event.url))
  contents.on('will-redirect', (event) => stay(event, event.url))
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    // A link to a paper opens in the system browser, never inside the app.
    if (isExternalLink(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
}
