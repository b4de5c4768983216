// Browser mode: the built UI and the workbench api on 127.0.0.1 only, behind a per-launch token.
// POST /api/call/<method> {args} answers ApiAnswer JSON; GET /api/events streams WorkbenchEvents
// (server-sent events); everything else is the UI's static files. Who may call what is decided in
// requestAuth.ts; the threat model is in README's Security section.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import type { VaeLabService } from '../../api/service'
import type { ApiAnswer } from '../../common/workbenchContract'
import { CONTENT_TYPES, CSP } from '../webAssets'
import { refusalPage, REFUSAL_CSP, type RefusalReason } from './refusalPage'
import { authorize, cookieName, cookieValue, type RouteKind } from './requestAuth'

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

const MAX_BODY = 1 << 20

const STATUS: Record<ApiAnswerError['code'], number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  BACKEND_UNAVAILABLE: 409,
  DATABASE_INCOMPATIBLE: 409,
  CANCELLED: 409,
  DATA_CORRUPT: 422,
  DATABASE_DAMAGED: 503,
  DATABASE_UNWRITABLE: 503,
  INTERNAL: 500
}

/**
 * Bounds on what one client can hold: a slow or stalled client (headers sent a byte at a time, a
 * body that never ends, an event stream it never reads) costs a socket for a while, not the heap.
 */
export interface ServerLimits {
  /** All request headers must arrive within this (slowloris). */
  headersTimeoutMs: number
  /** The whole request, body included. */
  requestTimeoutMs: number
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number
  /** A socket with no traffic either way is closed after this (event streams are exempt). */
  idleTimeoutMs: number
  /** How often Node looks for requests past their timeouts. */
  checkIntervalMs: number
  /** Open connections at once; more are refused until some close. */
  maxConnections: number
}

export const DEFAULT_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  checkIntervalMs: 1_000,
  maxConnections: 128
}

export interface ServerOptions {
  /** 0 picks a free port. */
  port: number
  /** The built renderer (out/renderer). */
  rendererDir: string
  token?: string
  limits?: Partial<ServerLimits>
}

export interface RunningServer {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

/** What the server needs of the workbench (a test may pass a fake). */
export type ServedWorkbench = Pick<VaeLabService, 'invoke' | 'subscribe'>

function send(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff'
  })
  res.end(text)
}

function sendRefusalPage(
  res: http.ServerResponse,
  status: number,
  reason: RefusalReason,
  port: number
) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': REFUSAL_CSP
  })
  res.end(refusalPage(reason, port))
}

const REFUSAL_MESSAGE: Record<RefusalReason, string> = {
  'no-token':
    'missing token: api calls carry the token in the x-vae-lab-token header; open the URL that `vae-lab serve` printed',
  'stale-token':
    'wrong or expired token (from an earlier session?): open the URL that `vae-lab serve` printed',
  'foreign-origin': 'refused: the request came from another origin'
}

/** The body, refused past 1 MiB or when it has not fully arrived within `deadlineMs`. */
function readBody(req: http.IncomingMessage, deadlineMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0
    const chunks: Buffer[] = []
    // Node's own requestTimeout stops counting once the handler runs; a body that never ends
    // would hold the socket and its buffers until the client gives up.
    const timer = setTimeout(() => {
      req.removeAllListeners('data')
      reject(new HttpRefusal(408, `the request body did not arrive within ${deadlineMs} ms`))
    }, deadlineMs)
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        clearTimeout(timer)
        reject(new HttpRefusal(413, 'the request body is over 1 MiB'))
        req.removeAllListeners('data')
        req.resume() // drain the rest, so the 413 reaches the client
      } else chunks.push(c)
    })
    req.on('end', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks).toString('utf8'))
    })
    req.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}

/** The `args` of a call's body: absent means none; anything but `{args?: [...]}` is refused. */
function argsOf(body: string): unknown {
  if (!body) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch (e) {
    throw new HttpRefusal(400, `the request body is not valid JSON: ${(e as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new HttpRefusal(400, 'the request body must be a JSON object: {"args": [...]}')
  const args = (parsed as { args?: unknown }).args
  if (args !== undefined && !Array.isArray(args))
    throw new HttpRefusal(400, 'args must be a JSON array of the method’s arguments')
  return args ?? []
}

function routeKind(pathname: string): RouteKind {
  if (pathname.startsWith('/api/call/')) return 'api'
  if (pathname === '/api/events') return 'events'
  if (pathname === '/' || pathname.endsWith('.html')) return 'page'
  return 'asset'
}

/** SSE: a stream whose client stops reading is skipped until it drains, not buffered forever. */
interface EventStream {
  res: http.ServerResponse
  congested: boolean
}

const CHANGED_LINE = `data: ${JSON.stringify({ type: 'runs-changed' })}\n\n`

function writeEvent(s: EventStream, line: string) {
  if (s.congested) return
  if (!s.res.write(line)) {
    s.congested = true
    // Whatever was skipped meanwhile, the UI refreshes everything on 'runs-changed'.
    s.res.once('drain', () => {
      s.congested = false
      s.res.write(CHANGED_LINE)
    })
  }
}

export async function startServer(
  workbench: ServedWorkbench,
  o: ServerOptions
): Promise<RunningServer> {
  const token = o.token ?? randomBytes(24).toString('hex')
  const limits = { ...DEFAULT_LIMITS, ...o.limits }
  const root = path.resolve(o.rendererDir)
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new Error(
      `the UI is not built (${path.join(root, 'index.html')} is missing); run \`npm run build\``
    )
  }
  const streams = new Set<EventStream>()
  const unsubscribe = workbench.subscribe((e) => {
    const line = `data: ${JSON.stringify(e)}\n\n`
    for (const s of streams) writeEvent(s, line)
  })
  let port = 0

  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs
    },
    (req, res) => {
      void handle(req, res).catch((e: unknown) => {
        if (res.headersSent) return res.end()
        if (e instanceof HttpRefusal) {
          // A body that never came: the rest of it must not be read as the next request.
          if (e.status === 408) res.once('finish', () => req.socket.destroy())
          return send(res, e.status, {
            ok: false,
            error: { code: 'INVALID_INPUT', message: e.message }
          })
        }
        send(res, 500, { ok: false, error: { code: 'INTERNAL', message: String(e) } })
      })
    }
  )
  server.maxConnections = limits.maxConnections
  server.setTimeout(limits.idleTimeoutMs, (socket) => socket.destroy())

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
    const kind = routeKind(url.pathname)
    const verdict = authorize({
      kind,
      headers: req.headers,
      urlToken: url.searchParams.get('token'),
      token,
      port
    })
    if (!verdict.ok) {
      // People get a page saying what to do; programs (the api, the event stream) get JSON.
      if (kind === 'page' || kind === 'asset')
        return sendRefusalPage(res, verdict.status, verdict.reason, port)
      return send(res, verdict.status, {
        ok: false,
        error: { code: 'UNAUTHORIZED', message: REFUSAL_MESSAGE[verdict.reason] }
      })
    }
    if (kind === 'api') {
      if (req.method !== 'POST')
        return send(res, 405, { ok: false, error: { code: 'INVALID_INPUT', message: 'use POST' } })
      const args = argsOf(await readBody(req, limits.requestTimeoutMs))
      const answer: ApiAnswer<unknown> = await workbench.invoke(
        decodePath(url.pathname.slice('/api/call/'.length)),
        args
      )
      return send(res, answer.ok ? 200 : (STATUS[answer.error.code] ?? 500), answer)
    }
    if (kind === 'events') {
      // A stream is idle between events by design: only the ping keeps it honest.
      req.socket.setTimeout(0)
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive'
      })
      res.write(': connected\n\n')
      const stream: EventStream = { res, congested: false }
      streams.add(stream)
      const ping = setInterval(() => writeEvent(stream, ': ping\n\n'), 15_000)
      req.on('close', () => {
        clearInterval(ping)
        streams.delete(stream)
      })
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, { ok: false, error: { code: 'INVALID_INPUT', message: 'use GET' } })
    return serveStatic(url, res, verdict.setCookie)
  }

  function serveStatic(url: URL, res: http.ServerResponse, setCookie: boolean) {
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
    if (file.endsWith('.html')) headers['content-security-policy'] = CSP
    // The page's scripts, styles and images come with the cookie; the api needs the token itself.
    if (setCookie)
      headers['set-cookie'] =
        `${cookieName(port)}=${cookieValue(token)}; HttpOnly; SameSite=Strict; Path=/`
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
        for (const s of streams) s.res.end()
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}
