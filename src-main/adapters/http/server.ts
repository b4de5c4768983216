// Browser mode: the built UI and the workbench api on 127.0.0.1 only, behind a per-launch token.
// POST /api/call/<method> {args} answers ApiAnswer JSON; GET /api/events streams WorkbenchEvents
// (server-sent events); everything else is the UI's static files.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import type { VaeLabService } from '../../api/service'
import type { ApiAnswer } from '../../common/workbenchContract'

type ApiAnswerError = Extract<ApiAnswer<unknown>, { ok: false }>['error']

/** A request the server refuses with its own status (too large, badly escaped). */
class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

function decodePath(p: string): string {
  try {
    return decodeURIComponent(p)
  } catch {
    throw new HttpRefusal(400, `badly escaped path: ${p}`)
  }
}
import { CONTENT_TYPES, CSP } from '../webAssets'

const COOKIE = 'vae_lab_token'
const MAX_BODY = 1 << 20

const STATUS: Record<ApiAnswerError['code'], number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  BACKEND_UNAVAILABLE: 409,
  DATABASE_INCOMPATIBLE: 409,
  CANCELLED: 409,
  DATA_CORRUPT: 422,
  INTERNAL: 500
}

export interface ServerOptions {
  /** 0 picks a free port. */
  port: number
  /** The built renderer (out/renderer). */
  rendererDir: string
  token?: string
}

export interface RunningServer {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

function tokenOf(req: http.IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice(7)
  const header = req.headers['x-vae-lab-token']
  if (typeof header === 'string') return header
  const cookie = (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${COOKIE}=`))
  if (cookie) return cookie.slice(COOKIE.length + 1)
  return url.searchParams.get('token')
}

function sameToken(a: string | null, b: string): boolean {
  if (a === null) return false
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function send(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store'
  })
  res.end(text)
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        reject(new HttpRefusal(413, 'the request body is over 1 MiB'))
        req.removeAllListeners('data')
        req.resume() // drain the rest, so the 413 reaches the client
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

export async function startServer(
  workbench: VaeLabService,
  o: ServerOptions
): Promise<RunningServer> {
  const token = o.token ?? randomBytes(24).toString('hex')
  const root = path.resolve(o.rendererDir)
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new Error(
      `the UI is not built (${path.join(root, 'index.html')} is missing); run \`npm run build\``
    )
  }
  const streams = new Set<http.ServerResponse>()
  const unsubscribe = workbench.subscribe((e) => {
    const line = `data: ${JSON.stringify(e)}\n\n`
    for (const s of streams) s.write(line)
  })
  let port = 0

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.end()
      if (e instanceof HttpRefusal)
        return send(res, e.status, {
          ok: false,
          error: { code: 'INVALID_INPUT', message: e.message }
        })
      send(res, 500, { ok: false, error: { code: 'INTERNAL', message: String(e) } })
    })
  })

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    // Only our own origin: a page on another site that resolves its name to 127.0.0.1 (DNS
    // rebinding) sends its own Host header.
    const host = req.headers.host ?? ''
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`)
      return send(res, 403, {
        ok: false,
        error: { code: 'UNAUTHORIZED', message: 'wrong Host header' }
      })
    const url = new URL(req.url ?? '/', `http://${host}`)
    if (!sameToken(tokenOf(req, url), token)) {
      return send(res, 401, {
        ok: false,
        error: {
          code: 'UNAUTHORIZED',
          message: 'missing or wrong token: open the URL that `vae-lab serve` printed'
        }
      })
    }
    if (url.pathname.startsWith('/api/call/')) {
      if (req.method !== 'POST')
        return send(res, 405, { ok: false, error: { code: 'INVALID_INPUT', message: 'use POST' } })
      let args: unknown
      const body = await readBody(req)
      try {
        args = body ? (JSON.parse(body) as { args?: unknown }).args : []
      } catch (e) {
        return send(res, 400, {
          ok: false,
          error: {
            code: 'INVALID_INPUT',
            message: `the request body is not valid JSON: ${(e as Error).message}`
          }
        })
      }
      const answer: ApiAnswer<unknown> = await workbench.invoke(
        decodePath(url.pathname.slice('/api/call/'.length)),
        args
      )
      return send(res, answer.ok ? 200 : (STATUS[answer.error.code] ?? 500), answer)
    }
    if (url.pathname === '/api/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive'
      })
      res.write(': connected\n\n')
      streams.add(res)
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000)
      req.on('close', () => {
        clearInterval(ping)
        streams.delete(res)
      })
      return
    }
    return serveStatic(url, res)
  }

  function serveStatic(url: URL, res: http.ServerResponse) {
    const decoded = decodePath(url.pathname)
    const rel = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '')
    const file = path.resolve(root, rel)
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      return send(res, 404, {
        ok: false,
        error: { code: 'NOT_FOUND', message: `no such file: ${url.pathname}` }
      })
    }
    const headers: Record<string, string> = {
      'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store'
    }
    if (file.endsWith('.html')) {
      headers['content-security-policy'] = CSP
      // The page's own requests (scripts, styles, api) carry the token as a cookie from here on.
      headers['set-cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`
    }
    res.writeHead(200, headers)
    fs.createReadStream(file).pipe(res)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.port, '127.0.0.1', () => resolve())
  })
  port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe()
        for (const s of streams) s.end()
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}
