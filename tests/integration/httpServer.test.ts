// Browser mode's security and its api (issue 5): the loopback HTTP server behind a per-launch
// token, answering every api method, refusing what it must, and streaming events.
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../src-main/adapters/http/server'
import type { ApiMethod } from '../../src-main/common/apiMethods'
import { VaeLabService } from '../../src-main/api/service'
import { API_METHODS, type WorkbenchEvent } from '../../src-main/common/workbenchContract'
import { openRunStore } from '../../src-main/core/store/openRunStore'
import type { RunStore } from '../../src-main/core/store/runStore'
import { syntheticSet, tempDir, writeIdxDataset } from '../helpers/fixtures'

interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

let dir: string
let store: RunStore
let workbench: VaeLabService
let server: RunningServer
let host: string

function request(o: {
  method?: string
  path: string
  headers?: Record<string, string>
  body?: string
  auth?: boolean
}): Promise<Reply> {
  const headers: Record<string, string> = {
    host,
    ...(o.auth === false ? {} : { authorization: `Bearer ${server.token}` }),
    ...o.headers
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: server.port, method: o.method ?? 'GET', path: o.path, headers },
      (res) => {
        // An event stream never ends: its status and first bytes are the answer.
        if (res.headers['content-type'] === 'text/event-stream') {
          res.once('data', (d: Buffer) => {
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: d.toString() })
            res.destroy()
          })
          return
        }
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      }
    )
    req.on('error', reject)
    req.end(o.body)
  })
}

async function call(method: string, args: unknown[] = []) {
  const r = await request({
    method: 'POST',
    path: `/api/call/${method}`,
    body: JSON.stringify({ args }),
    headers: { 'content-type': 'application/json' }
  })
  return {
    status: r.status,
    answer: JSON.parse(r.body) as {
      ok: boolean
      value?: unknown
      error?: { code: string; message: string }
    }
  }
}

async function value<T>(method: string, args: unknown[] = []): Promise<T> {
  const { status, answer } = await call(method, args)
  if (status !== 200 || !answer.ok)
    throw new Error(`${method} answered ${status}: ${JSON.stringify(answer.error)}`)
  return answer.value as T
}

/** Collects the SSE stream's events until `until` says stop (or the time runs out). */
function events(
  until: (seen: WorkbenchEvent[]) => boolean,
  timeoutMs = 90_000
): Promise<WorkbenchEvent[]> {
  return new Promise((resolve, reject) => {
    const seen: WorkbenchEvent[] = []
    const timer = setTimeout(
      () => reject(new Error(`SSE: timed out after ${seen.length} events`)),
      timeoutMs
    )
    const req = http.get(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/api/events',
        headers: { host, authorization: `Bearer ${server.token}` }
      },
      (res) => {
        let buffer = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          buffer += chunk
          let end: number
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const data = /^data: (.*)$/m.exec(frame)
            if (data) seen.push(JSON.parse(data[1]) as WorkbenchEvent)
          }
          if (until(seen)) {
            clearTimeout(timer)
            req.destroy()
            resolve(seen)
          }
        })
      }
    )
    req.on('error', () => {})
  })
}

const tiny = { epochs: 1, limitTrain: 400, limitTest: 200, hidden: 32, batchSize: 50, seed: 1 }
const statusOf = (events: WorkbenchEvent[], runId: number) =>
  events
    .filter(
      (e): e is Extract<WorkbenchEvent, { type: 'status' }> =>
        e.type === 'status' && e.runId === runId
    )
    .map((e) => e.status)

beforeAll(async () => {
  dir = tempDir('vae-lab-http-')
  process.env.VAE_LAB_HOME = dir
  const ui = path.join(dir, 'ui')
  fs.mkdirSync(path.join(ui, 'assets'), { recursive: true })
  fs.writeFileSync(
    path.join(ui, 'index.html'),
    '<!doctype html><title>VAE Lab</title><script type="module" src="/assets/app.js"></script>'
  )
  fs.writeFileSync(path.join(ui, 'assets', 'app.js'), 'export {}')
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'not for the browser')
  store = await openRunStore(path.join(dir, 'runs.sqlite'))
  workbench = new VaeLabService(store, 1)
  server = await startServer(workbench, { port: 0, rendererDir: ui })
  // As `vae-lab serve` does: the workbench works the queue in the background.
  workbench.start()
  host = `127.0.0.1:${server.port}`
})

afterAll(async () => {
  await workbench?.stop()
  await server?.close()
  await store?.close()
})

describe('the browser-mode server', () => {
  it('prints a 127.0.0.1 URL that carries a long random token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
    expect(server.token).toMatch(/^[0-9a-f]{48}$/)
  })

  it('answers 401 on every route without the token, and with a wrong one', async () => {
    const routes = [
      { path: '/' },
      { path: '/index.html' },
      { path: '/assets/app.js' },
      { path: '/no-such-file' },
      { path: '/api/events' },
      { method: 'POST', path: '/api/call/listRuns', body: '{"args":[]}' }
    ]
    const wrong = 'f'.repeat(server.token.length)
    for (const r of routes) {
      const none = await request({ ...r, auth: false })
      expect(none.status, `${r.path} without a token`).toBe(401)
      // A person gets a page that says what to do; a program (api, event stream) gets JSON.
      if (r.path.startsWith('/api/')) expect(JSON.parse(none.body).error.code).toBe('UNAUTHORIZED')
      else expect(none.body).toContain('needs its token')
      const wrongs: Record<string, string>[] = [
        { authorization: `Bearer ${wrong}` },
        { 'x-vae-lab-token': 'short' },
        { cookie: `vae_lab_${server.port}=${wrong}` },
        { cookie: `vae_lab_token=${server.token}` }
      ]
      for (const headers of wrongs) {
        expect(
          (await request({ ...r, auth: false, headers })).status,
          `${r.path} with a wrong token`
        ).toBe(401)
      }
      expect(
        (
          await request({
            ...r,
            auth: false,
            path: `${r.path}${r.path.includes('?') ? '&' : '?'}token=${wrong}`
          })
        ).status
      ).toBe(401)
    }
  })

  it("accepts the token as bearer or header (and in the URL for the page and the stream), and sets a per-port cookie for the page's files", async () => {
    const page = await request({ path: `/?token=${server.token}`, auth: false })
    expect(page.status).toBe(200)
    expect(page.headers['content-security-policy']).toContain("default-src 'self'")
    expect(page.headers['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'")
    const cookie = page.headers['set-cookie']?.[0] ?? ''
    expect(cookie).toMatch(
      new RegExp(`^vae_lab_${server.port}=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/`)
    )
    // The cookie is not the token: a local program that receives it cannot call the api.
    expect(cookie).not.toContain(server.token)
    const jar = cookie.split(';')[0]
    expect(
      (await request({ path: '/assets/app.js', auth: false, headers: { cookie: jar } })).status
    ).toBe(200)
    expect(
      (
        await request({
          path: '/assets/app.js',
          auth: false,
          headers: { 'x-vae-lab-token': server.token }
        })
      ).status
    ).toBe(200)
    expect((await request({ path: `/api/events?token=${server.token}`, auth: false })).status).toBe(
      200
    )
  })

  it('answers 403 to a request for another Host (DNS rebinding), even with the token', async () => {
    for (const bad of [
      'evil.example',
      `evil.example:${server.port}`,
      `127.0.0.1:${server.port + 1}`,
      `0.0.0.0:${server.port}`
    ]) {
      const r = await request({ path: '/api/events', headers: { host: bad } })
      expect(r.status, bad).toBe(403)
    }
    expect(
      (await request({ path: '/', headers: { host: `localhost:${server.port}` } })).status
    ).toBe(200)
  })

  it('serves nothing outside the UI folder', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const r = await request({ path: p })
      expect(r.status, p).toBe(404)
      expect(r.body).not.toContain('not for the browser')
    }
  })

  it('listens on 127.0.0.1 only', async () => {
    // The kernel's socket table: every listening socket on our port is bound to 127.0.0.1.
    if (process.platform === 'linux') {
      const hexPort = server.port.toString(16).toUpperCase().padStart(4, '0')
      const listening = ['/proc/net/tcp', '/proc/net/tcp6']
        .filter((f) => fs.existsSync(f))
        .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').slice(1))
        .map((l) => l.trim().split(/\s+/))
        .filter((cols) => cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A') // 0A = LISTEN
        .map((cols) => cols[1].split(':')[0])
      expect(listening).toEqual(['0100007F']) // 127.0.0.1, little-endian
    }
    // And connecting through another loopback address is refused. (Only loopback: a test here
    // never sends traffic to the machine's LAN addresses; the socket table above covers those.)
    const ipv6 = Object.values(os.networkInterfaces())
      .flat()
      .some((a) => a?.address === '::1')
    for (const address of ['127.0.0.2', ...(ipv6 ? ['::1'] : [])]) {
      const outcome = await new Promise<string>((resolve) => {
        const s = net.connect({ host: address, port: server.port, timeout: 2000 })
        s.once('connect', () => {
          s.destroy()
          resolve('connected')
        })
        s.once('timeout', () => {
          s.destroy()
          resolve('timeout')
        })
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
      })
      expect(outcome, `connecting via ${address}`).not.toBe('connected')
    }
  })

  it('answers bad arguments with 400 and a message naming the method and the field', async () => {
    const wrongType = await call('getRun', ['seven'])
    expect(wrongType.status).toBe(400)
    expect(wrongType.answer).toEqual({
      ok: false,
      error: {
        code: 'INVALID_INPUT',
        message: 'getRun: 0: a run id must be a number',
        field: 'runId'
      }
    })
    const sweep = await call('queueSweep', [{ base: {}, grid: { latentDim: [] } }])
    expect(sweep.status).toBe(400)
    expect(sweep.answer.error?.message).toMatch(/^queueSweep: 0\.grid\.latentDim: /)
    const extra = await call('figureInputs', [{ runIds: [1], colour: 'red' }])
    expect(extra.status).toBe(400)
    expect(extra.answer.error?.message).toContain('colour')
  })

  it('answers an unknown method with 404, a malformed body with 400, and GET on a method with 405', async () => {
    const unknown = await call('dropDatabase')
    expect(unknown.status).toBe(404)
    expect(unknown.answer.error).toEqual({
      code: 'NOT_FOUND',
      message: 'unknown api method "dropDatabase"'
    })
    // Inherited object keys are not methods.
    expect((await call('constructor')).status).toBe(404)
    expect((await call('__proto__')).status).toBe(404)
    const malformed = await request({
      method: 'POST',
      path: '/api/call/listRuns',
      body: '{"args": [',
      headers: { 'content-type': 'application/json' }
    })
    expect(malformed.status).toBe(400)
    expect(JSON.parse(malformed.body).error.message).toMatch(/^the request body is not valid JSON/)
    expect((await request({ path: '/api/call/listRuns' })).status).toBe(405)
  })

  it('answers a badly escaped path with 400 and a body over 1 MiB with 413, and keeps serving', async () => {
    expect((await request({ path: '/%E0%A4%A' })).status).toBe(400)
    expect((await request({ method: 'POST', path: '/api/call/%E0%A4%A', body: '{}' })).status).toBe(
      400
    )
    const big = JSON.stringify({ args: ['x'.repeat(1_100_000)] })
    expect(
      (
        await request({
          method: 'POST',
          path: '/api/call/listRuns',
          body: big,
          headers: { 'content-type': 'application/json' }
        })
      ).status
    ).toBe(413)
    expect((await call('listRuns')).status).toBe(200)
  })

  it('round-trips every api method with valid arguments, and streams the run events', async () => {
    const exercised = new Set<ApiMethod>()
    // A void method's answer is {"ok": true}: JSON has no undefined.
    const ok = async <T>(method: ApiMethod, args: unknown[] = []) => {
      exercised.add(method)
      return value<T>(method, args)
    }

    // The stream is opened first, so it sees the sweep from its start.
    const streamed = events((seen) =>
      [1, 2].every((id) => statusOf(seen, id).includes('completed'))
    )
    await new Promise((r) => setTimeout(r, 100))
    expect(await ok('listRuns')).toEqual([])
    const sweep = await ok<{ sweep: string; runIds: number[] }>('queueSweep', [
      { base: tiny, grid: { latentDim: [2, 3] }, sweepName: 'http' }
    ])
    expect(sweep).toEqual({ sweep: 'http', runIds: [1, 2] })
    // With one worker the second run waits: cancel it while queued, then resume it.
    expect(await ok('queueStatus')).toMatchObject({ workers: 1 })
    expect(await ok('storeInfo')).toMatchObject({ backend: 'sqlite', location: store.location })
    // The Store setting is written under VAE_LAB_HOME (this test's folder), never the user's.
    expect(await ok('useStore', [store.location])).toMatchObject({ restartNeeded: false })
    expect(await ok('useStore', [null])).toMatchObject({ configured: null })
    expect(await ok('cancelRun', [2])).toBe('cancelled')
    expect(await ok('resumeRun', [2])).toBeUndefined()
    expect(await ok('setPriority', [2, 5])).toBeUndefined()

    const seen = await streamed
    for (const id of [1, 2]) expect(statusOf(seen, id)).toContain('running')
    expect(seen.some((e) => e.type === 'epoch' && e.runId === 1)).toBe(true)
    expect(seen.some((e) => e.type === 'runs-changed')).toBe(true)

    const runs = await ok<{ id: number; status: string }[]>('listRuns', [{ sweep: 'http' }])
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      [1, 'completed'],
      [2, 'completed']
    ])
    expect(await ok('tagRun', [1, 'paper'])).toBeUndefined()
    expect(await ok('noteRun', [1, 'first look'])).toBeUndefined()
    expect(await ok('renameRun', [1, 'two dims'])).toBeUndefined()
    const details = await ok<{
      run: { name: string; tags: string[]; note: string }
      metrics: unknown[]
    }>('getRun', [1])
    expect(details.run).toMatchObject({ name: 'two dims', tags: ['paper'], note: 'first look' })
    expect(details.metrics).toHaveLength(1)

    const datasets = await ok<{ name: string }[]>('listDatasets')
    expect(datasets.map((d) => d.name)).toContain('mnist')
    const files = writeIdxDataset(
      tempDir('vae-lab-http-ds-'),
      syntheticSet(120, 1),
      syntheticSet(40, 2)
    )
    expect(await ok('importDataset', [{ name: 'blocks', ...files }])).toMatchObject({
      name: 'blocks'
    })
    const preview = await ok<{ labels: number[]; images: number[] }>('datasetPreview', ['mnist', 3])
    expect(preview.labels).toHaveLength(3)
    expect(preview.images).toHaveLength(3 * 784)
    const backends = await ok<{ name: string; available: boolean }[]>('backends')
    expect(backends.find((b) => b.name === 'wasm')?.available).toBe(true)
    expect(await ok('chooseBackend', ['wasm'])).toMatchObject({ name: 'wasm' })

    const bundle = await ok<{ inputs: { recon?: unknown }; skipped: string[] }>('figureInputs', [
      { runIds: [1, 2], figures: ['recon', 'manifold', 'scatter'] }
    ])
    expect(bundle.inputs.recon).toBeDefined()
    const outDir = path.join(dir, 'export')
    const exported = await ok<{ files: string[] }>('exportFigures', [
      { runIds: [1], figures: ['curves'], format: 'svg', outDir }
    ])
    expect(exported.files.length).toBeGreaterThan(0)
    expect(fs.existsSync(path.join(outDir, exported.files[0]))).toBe(true)

    // Issue 13's run management and downloads.
    expect(await ok('untagRun', [1, 'paper'])).toBeUndefined()
    const facets = await ok<{ id: number; tags: string[]; note: string }[]>('runFacets')
    expect(facets.find((f) => f.id === 1)).toMatchObject({ tags: [], note: 'first look' })
    expect(await ok('evaluateIwae', [1, 2])).toMatchObject({ k: 2 })
    const csv = await ok<{ fileName: string; base64: string }>('runFile', [1, 'metrics'])
    expect(Buffer.from(csv.base64, 'base64').toString()).toMatch(/^run_id,epoch/)
    const zip = await ok<{ base64: string }>('exportArchive', [
      { runIds: [1], figures: ['curves'] }
    ])
    expect(Buffer.from(zip.base64, 'base64').subarray(0, 2).toString()).toBe('PK')
    // Issue 17's latent explorer: run 1 is a finished 2-D run.
    const explorer = await ok<{ latentDim: number; points: number[][] }>('latentExplorer', [1])
    expect(explorer.latentDim).toBe(2)
    const decoded = await ok<{ count: number; images: string }>('decodeLatent', [
      1,
      [
        [0, 0],
        [1, 1]
      ]
    ])
    expect(decoded.count).toBe(2)
    expect(Buffer.from(decoded.images, 'base64').length).toBe(2 * 784)
    exercised.add('chooseFolder')
    const folder = await call('chooseFolder', [])
    expect(folder.status).toBe(404)
    expect(folder.answer.error?.message).toContain('desktop app')

    expect(await ok('deleteRuns', [[2]])).toBeUndefined()
    expect((await ok<unknown[]>('listRuns')).length).toBe(1)
    expect([...exercised].sort()).toEqual([...API_METHODS].sort())
  })
})
