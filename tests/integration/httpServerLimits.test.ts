// Browser mode under a hostile or broken client (issue 12, findings 1 and 6): the cookie alone
// never reaches the api, a request from another loopback port is refused before the workbench
// sees it, and a stalled client (slow headers, a body that never ends, an event stream it never
// reads, a flood of connections) costs a socket for a while, not the server.
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_LIMITS,
  startServer,
  type RunningServer,
  type ServedWorkbench
} from '../../src-main/adapters/http/server'
import type { WorkbenchEvent } from '../../src-main/common/workbenchContract'
import { tempDir } from '../helpers/fixtures'

const calls: string[] = []
const listeners = new Set<(e: WorkbenchEvent) => void>()
const emit = (e: WorkbenchEvent) => listeners.forEach((l) => l(e))
const workbench: ServedWorkbench = {
  invoke: async (method) => {
    calls.push(method)
    return { ok: true, value: [] }
  },
  subscribe: (listener) => {
    listeners.add(listener)
    return () => listeners.delete(listener)
  }
}

let server: RunningServer
let tight: RunningServer
let dir: string

beforeAll(async () => {
  dir = tempDir('vae-lab-http-limits-')
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>VAE Lab</title>')
  server = await startServer(workbench, { port: 0, rendererDir: dir })
  tight = await startServer(workbench, {
    port: 0,
    rendererDir: dir,
    limits: {
      headersTimeoutMs: 300,
      requestTimeoutMs: 600,
      checkIntervalMs: 100,
      maxConnections: 8
    }
  })
})

afterAll(async () => {
  await server?.close()
  await tight?.close()
})

function post(s: RunningServer, method: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: s.port,
        method: 'POST',
        path: `/api/call/${method}`,
        headers: { host: `127.0.0.1:${s.port}`, ...headers }
      },
      (res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      }
    )
    req.on('error', reject)
    req.end('{"args":[1,"pwned"]}')
  })
}

/** Resolves with how long the server took to close a raw connection, or null if it did not. */
function closedWithin(socket: net.Socket, ms: number): Promise<number | null> {
  const t0 = Date.now()
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(null)
    }, ms)
    socket.on('error', () => {})
    socket.resume() // read (and drop) whatever comes, so the end of the stream is seen
    socket.once('close', () => {
      clearTimeout(timer)
      resolve(Date.now() - t0)
    })
  })
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s))
    s.once('error', reject)
  })
}

describe('the browser-mode server against another page of the same browser', () => {
  it('refuses a text/plain POST from another port carrying the cookie, before the workbench sees it', async () => {
    const page = await new Promise<http.IncomingMessage>((resolve) =>
      http.get(
        {
          host: '127.0.0.1',
          port: server.port,
          path: `/?token=${server.token}`,
          headers: { host: `127.0.0.1:${server.port}` }
        },
        (res) => {
          res.resume()
          resolve(res)
        }
      )
    )
    const cookie = (page.headers['set-cookie']?.[0] ?? '').split(';')[0]
    expect(cookie).toMatch(new RegExp(`^vae_lab_${server.port}=`))
    calls.length = 0
    // What a hostile page on 127.0.0.1:<other> can make the browser send: the cookie, no header.
    const csrf = await post(server, 'tagRun', {
      cookie,
      'content-type': 'text/plain',
      origin: `http://127.0.0.1:${tight.port}`,
      'sec-fetch-site': 'same-site'
    })
    expect(csrf.status).toBe(403)
    // Even without Origin and Sec-Fetch-* (an old browser), the cookie alone is not enough.
    const bare = await post(server, 'tagRun', { cookie, 'content-type': 'text/plain' })
    expect(bare.status).toBe(401)
    expect(JSON.parse(bare.body).error.code).toBe('UNAUTHORIZED')
    expect(calls).toEqual([])
    // With the token in the header (what the UI sends), the same call goes through.
    expect((await post(server, 'listRuns', { 'x-vae-lab-token': server.token })).status).toBe(200)
    expect(calls).toEqual(['listRuns'])
  })
})

describe('the browser-mode server against a stalled or greedy client', () => {
  it('has finite timeouts and a connection cap by default', () => {
    expect(DEFAULT_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(10_000)
    expect(DEFAULT_LIMITS.requestTimeoutMs).toBeLessThanOrEqual(30_000)
    expect(DEFAULT_LIMITS.maxConnections).toBeGreaterThan(16)
    expect(DEFAULT_LIMITS.maxConnections).toBeLessThanOrEqual(256)
  })

  it('closes a connection whose headers never finish (slowloris), and one whose body never ends', async () => {
    const slow = await connect(tight.port)
    slow.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${tight.port}\r\nX-Slow: a`)
    const drip = setInterval(() => slow.write('a'), 50)
    const slowClosed = await closedWithin(slow, 3000)
    clearInterval(drip)
    expect(slowClosed).not.toBeNull()

    const body = await connect(tight.port)
    body.write(
      `POST /api/call/listRuns HTTP/1.1\r\nHost: 127.0.0.1:${tight.port}\r\nx-vae-lab-token: ${tight.token}\r\ncontent-length: 1000\r\n\r\n{"args":`
    )
    expect(await closedWithin(body, 3000)).not.toBeNull()
  })

  it('refuses connections beyond its cap, and serves again once they close', async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, () => connect(tight.port)))
    const closed = await Promise.all(sockets.map((s) => closedWithin(s, 500)))
    // The cap is 8: the rest are closed at once.
    expect(closed.filter((c) => c !== null).length).toBeGreaterThanOrEqual(12)
    sockets.forEach((s) => s.destroy())
    await new Promise((r) => setTimeout(r, 100))
    expect((await post(tight, 'listRuns', { 'x-vae-lab-token': tight.token })).status).toBe(200)
  })

  it('skips events for a stream that stops reading instead of buffering them, and tells it to refresh', async () => {
    const s = await connect(server.port)
    s.write(
      `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nx-vae-lab-token: ${server.token}\r\n\r\n`
    )
    await new Promise((r) => s.once('data', r))
    s.pause() // the client stops reading
    const big = 'x'.repeat(50_000)
    const sent = 2000 // 100 MB of events
    for (let i = 0; i < sent; i++)
      emit({ type: 'status', runId: i, status: 'running', message: big } as WorkbenchEvent)
    const memory = process.memoryUsage().rss
    let received = 0
    let text = ''
    s.on('data', (c: Buffer) => {
      received += c.length
      text = (text + c.toString()).slice(-200)
    })
    s.resume()
    await new Promise((r) => setTimeout(r, 1500))
    s.destroy()
    // What arrived is what the socket buffers held, not 100 MB, and a refresh came after it.
    expect(received).toBeLessThan(sent * big.length * 0.2)
    expect(text).toContain('"runs-changed"')
    expect(memory).toBeLessThan(process.memoryUsage().rss + 200e6)
  })
})
