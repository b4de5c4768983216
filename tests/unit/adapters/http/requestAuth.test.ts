import type { IncomingHttpHeaders } from 'node:http'
import { describe, expect, it } from 'vitest'
import {
  authorize,
  cookieName,
  cookieValue,
  type RouteKind
} from '../../../../src-main/adapters/http/requestAuth'

const token = 'a'.repeat(48)
const port = 4321
const own = `http://127.0.0.1:${port}`
const jar = (value: string) => `${cookieName(port)}=${value}`
const ask = (kind: RouteKind, headers: IncomingHttpHeaders, urlToken: string | null = null) =>
  authorize({ kind, headers, urlToken, token, port })

describe('authorize', () => {
  it('never opens the api or the event stream with the cookie alone', () => {
    const cookie = { cookie: jar(cookieValue(token)) }
    expect(ask('api', cookie)).toMatchObject({ ok: false, status: 401 })
    expect(ask('events', cookie)).toMatchObject({ ok: false, status: 401 })
    expect(ask('asset', cookie)).toEqual({ ok: true, setCookie: false })
    // The page needs the token in its URL: the UI reads it from there for its api calls.
    expect(ask('page', cookie)).toMatchObject({ ok: false, reason: 'no-token' })
  })

  it('refuses a foreign Origin even with the right token', () => {
    for (const origin of [`http://127.0.0.1:${port + 1}`, 'http://evil.example', 'null']) {
      for (const kind of ['api', 'events', 'page', 'asset'] as const) {
        expect(ask(kind, { origin, 'x-vae-lab-token': token }, token), `${kind} ${origin}`).toEqual(
          { ok: false, status: 403, reason: 'foreign-origin' }
        )
      }
    }
    expect(ask('api', { origin: own, 'x-vae-lab-token': token })).toEqual({
      ok: true,
      setCookie: false
    })
    expect(ask('api', { origin: `http://localhost:${port}`, 'x-vae-lab-token': token }).ok).toBe(
      true
    )
  })

  it('refuses api calls that a browser marks cross-site or same-site (another port)', () => {
    for (const site of ['cross-site', 'same-site']) {
      expect(ask('api', { 'sec-fetch-site': site, 'x-vae-lab-token': token })).toMatchObject({
        ok: false,
        status: 403
      })
    }
    expect(ask('api', { 'sec-fetch-site': 'same-origin', 'x-vae-lab-token': token }).ok).toBe(true)
    // Another site may link to the page, not embed its files.
    expect(
      ask('page', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' }, token).ok
    ).toBe(true)
    expect(
      ask('asset', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }, token)
    ).toMatchObject({ ok: false, status: 403 })
  })

  it('lets the URL token win over a cookie from an earlier session, and sets a fresh cookie', () => {
    const stale = { cookie: jar(cookieValue('b'.repeat(48))) }
    expect(ask('page', stale, token)).toEqual({ ok: true, setCookie: true })
    expect(ask('page', stale)).toEqual({ ok: false, status: 401, reason: 'stale-token' })
    expect(ask('page', {}, 'c'.repeat(48))).toEqual({
      ok: false,
      status: 401,
      reason: 'stale-token'
    })
    expect(ask('page', {})).toEqual({ ok: false, status: 401, reason: 'no-token' })
    // A wrong URL token is not rescued by a good cookie: the URL decides.
    expect(ask('asset', { cookie: jar(cookieValue(token)) }, 'c'.repeat(48)).ok).toBe(false)
  })

  it('takes the api token from a header only, never from the URL', () => {
    expect(ask('api', {}, token)).toMatchObject({ ok: false, reason: 'no-token' })
    expect(ask('api', { authorization: `Bearer ${token}` }).ok).toBe(true)
    expect(ask('events', {}, token).ok).toBe(true)
  })

  it('names the cookie after the port and derives its value from the token', () => {
    expect(cookieName(8080)).toBe('vae_lab_8080')
    expect(cookieValue(token)).toMatch(/^[0-9a-f]{64}$/)
    expect(cookieValue(token)).not.toContain(token)
    expect(cookieValue(token)).not.toBe(cookieValue('b'.repeat(48)))
  })
})
