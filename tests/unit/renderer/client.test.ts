import { describe, expect, it, vi } from 'vitest'
import {
  ApiError,
  bridgeClient,
  httpClient,
  toApiError,
  trimArgs,
  type Bridge
} from '../../../src-renderer/api/client'

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' }
  })
}

describe('api client', () => {
  it('posts {args} to /api/call/<method> and resolves the value', async () => {
    const fetch = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) =>
      answer(200, { ok: true, value: [{ id: 1 }] })
    )
    const c = httpClient({ fetch, token: 'abc' })
    await expect(c.listRuns()).resolves.toEqual([{ id: 1 }])
    const [url, init] = fetch.mock.calls[0]
    expect(url).toBe('/api/call/listRuns')
    expect(init?.method).toBe('POST')
    expect(JSON.parse(String(init?.body))).toEqual({ args: [] })
    expect((init?.headers as Record<string, string>)['x-vae-lab-token']).toBe('abc')
  })

  it('drops trailing undefined arguments, which JSON would turn into null', () => {
    expect(trimArgs([undefined])).toEqual([])
    expect(trimArgs([1, undefined, 2, undefined])).toEqual([1, undefined, 2])
  })

  it('rejects with the server error code and message', async () => {
    const c = httpClient({
      fetch: async () =>
        answer(400, {
          ok: false,
          error: { code: 'INVALID_INPUT', message: 'latent dim must be at least 1' }
        })
    })
    const err = await c.getRun(1).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ code: 'INVALID_INPUT', message: 'latent dim must be at least 1' })
  })

  it('maps 401, unreadable bodies and a dead server to clear codes', async () => {
    const unauthorised = httpClient({
      fetch: async () =>
        answer(401, {
          ok: false,
          error: { code: 'UNAUTHORIZED', message: 'missing or wrong token' }
        })
    })
    await expect(unauthorised.listRuns()).rejects.toMatchObject({ code: 'UNAUTHORIZED' })
    const html = httpClient({
      fetch: async () => new Response('<html>', { status: 502, statusText: 'Bad Gateway' })
    })
    await expect(html.listRuns()).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('502')
    })
    const dead = httpClient({ fetch: async () => Promise.reject(new TypeError('Failed to fetch')) })
    await expect(dead.listRuns()).rejects.toMatchObject({
      code: 'NETWORK',
      message: expect.stringContaining('vae-lab serve')
    })
  })

  it('reads "CODE: message" errors from the Electron bridge, also when Electron wraps them', () => {
    expect(toApiError(new Error('NOT_FOUND: no run 7'))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no run 7'
    })
    expect(
      toApiError(
        new Error(
          "Error invoking remote method 'vaeLab:call:getRun': Error: BACKEND_UNAVAILABLE: webgpu is not installed"
        )
      )
    ).toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: 'webgpu is not installed'
    })
    expect(toApiError(new Error('plain failure'))).toMatchObject({
      code: 'INTERNAL',
      message: 'plain failure'
    })
  })

  it('calls the bridge by method name and forwards its events', async () => {
    const listeners: ((e: unknown) => void)[] = []
    const bridge = {
      getRun: vi.fn(async () => Promise.reject(new Error('NOT_FOUND: run 3 does not exist'))),
      listRuns: vi.fn(async () => []),
      onEvent: (l: (e: unknown) => void) => {
        listeners.push(l)
        return () => {}
      }
    } as unknown as Bridge
    const c = bridgeClient(bridge)
    expect(c.mode).toBe('electron')
    await c.listRuns(undefined)
    expect(bridge.listRuns).toHaveBeenCalledWith()
    await expect(c.getRun(3)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    const seen: unknown[] = []
    c.onEvent((e) => seen.push(e))
    listeners[0]({ type: 'runs-changed' })
    expect(seen).toEqual([{ type: 'runs-changed' }])
  })

  it('hands server-sent events to listeners and asks for a refresh after a reconnect', () => {
    const sources: {
      onmessage: ((m: MessageEvent) => void) | null
      onopen: (() => void) | null
      onerror: (() => void) | null
      close: () => void
    }[] = []
    const c = httpClient({
      fetch: async () => answer(200, { ok: true, value: null }),
      eventSource: () => {
        const s = { onmessage: null, onopen: null, onerror: null, close: vi.fn() }
        sources.push(s)
        return s as unknown as EventSource
      }
    })
    const seen: unknown[] = []
    const off = c.onEvent((e) => seen.push(e))
    sources[0].onmessage!({
      data: JSON.stringify({ type: 'status', runId: 1, status: 'running' })
    } as MessageEvent)
    sources[0].onerror!()
    sources[0].onopen!()
    expect(seen).toEqual([
      { type: 'status', runId: 1, status: 'running' },
      { type: 'runs-changed' }
    ])
    off()
    expect(sources[0].close).toHaveBeenCalled()
  })
})
