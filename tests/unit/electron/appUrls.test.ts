import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  appFile,
  devServerOrigin,
  isAllowedRequest,
  isAppUrl,
  isExternalLink
} from '../../../src-main/electron/appUrls'

describe('appUrls', () => {
  it('treats only vae-lab://app (and a loopback dev server) as the app', () => {
    expect(isAppUrl('vae-lab://app/index.html')).toBe(true)
    expect(isAppUrl('vae-lab://other/index.html')).toBe(false)
    expect(isAppUrl('file:///work/main/out/renderer/index.html')).toBe(false)
    expect(isAppUrl('https://evil.example/')).toBe(false)
    expect(isAppUrl('http://localhost:5173/', 'http://localhost:5173')).toBe(true)
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173')).toBe(false)
    expect(isAppUrl('not a url')).toBe(false)
  })

  it('refuses every remote request', () => {
    expect(isAllowedRequest('vae-lab://app/assets/index.js')).toBe(true)
    expect(isAllowedRequest('data:image/png;base64,AAAA')).toBe(true)
    expect(isAllowedRequest('https://cdn.example/echarts.js')).toBe(false)
    expect(isAllowedRequest('http://127.0.0.1:8080/')).toBe(false)
    expect(isAllowedRequest('ws://localhost:5173/', 'http://localhost:5173')).toBe(true)
  })

  it('accepts a dev server only on loopback', () => {
    const dev = { packaged: false, devBuild: true }
    expect(devServerOrigin('http://localhost:5173/', dev)).toBe('http://localhost:5173')
    expect(devServerOrigin('http://192.168.1.2:5173/', dev)).toBeUndefined()
    expect(devServerOrigin('https://evil.example/', dev)).toBeUndefined()
    expect(devServerOrigin(undefined, dev)).toBeUndefined()
  })

  it('ignores ELECTRON_RENDERER_URL outside a dev build, packaged or not (issue 12, finding 6)', () => {
    // `npm start` runs the unpackaged production build: a variable in its environment must not
    // make another local page a trusted api frame.
    expect(
      devServerOrigin('http://127.0.0.1:8888/', { packaged: false, devBuild: false })
    ).toBeUndefined()
    expect(
      devServerOrigin('http://127.0.0.1:8888/', { packaged: true, devBuild: true })
    ).toBeUndefined()
  })

  it('builds main without trusting a dev server: electron-vite build sets the dev flag false', () => {
    const main = fs.readFileSync(path.resolve(__dirname, '../../../out/main/index.js'), 'utf8')
    expect(main).not.toContain('__VAE_LAB_DEV_BUILD__')
    expect(main).toMatch(/devBuild:\s*(false|!1)/)
  })

  it('maps app URLs to files inside the renderer folder only', () => {
    const root = path.resolve('/srv/renderer')
    expect(appFile(root, 'vae-lab://app/')).toBe(path.join(root, 'index.html'))
    expect(appFile(root, 'vae-lab://app/assets/a.js?x=1')).toBe(path.join(root, 'assets/a.js'))
    expect(appFile(root, 'vae-lab://app/../secret')).toBe(path.join(root, 'secret')) // URL parsing drops the ..
    expect(appFile(root, 'vae-lab://app/%2e%2e/%2e%2e/etc/passwd')).toBe(
      path.join(root, 'etc/passwd')
    ) // so does %2e%2e
    expect(appFile(root, 'vae-lab://app/..%2f..%2fetc/passwd')).toBeNull()
    expect(appFile(root, 'vae-lab://elsewhere/index.html')).toBeNull()
    expect(appFile(root, 'vae-lab://app/%E0%A4%A')).toBeNull()
  })

  it('opens only https links to known hosts in the system browser (issue 12, finding 6)', () => {
    expect(isExternalLink('https://arxiv.org/abs/1312.6114')).toBe(true)
    expect(isExternalLink('https://github.com/pytorch/examples')).toBe(true)
    expect(isExternalLink('http://arxiv.org/')).toBe(false)
    expect(isExternalLink('file:///etc/passwd')).toBe(false)
    expect(isExternalLink('javascript:alert(1)')).toBe(false)
    expect(isExternalLink('https://evil.example/setup.exe')).toBe(false)
    expect(isExternalLink('https://arxiv.org.evil.example/')).toBe(false)
    expect(isExternalLink('https://user:pw@github.com/')).toBe(false)
    expect(isExternalLink('https://github.com:8443/')).toBe(false)
  })
})
