// Who may do what in browser mode (README, Security): pure decisions over a request's headers, so
// every rule is unit-tested without a socket. The threat is another page in the user's browser:
// cookies are scoped by host, not port, and SameSite counts every 127.0.0.1 port as one site, so a
// page served by any other local program sends our cookie with its requests. Hence:
// - api calls and the event stream need the token itself (a header, or `?token=` for the stream,
//   which EventSource cannot give headers); a cookie never suffices;
// - the cookie is not the token but a value derived from it, good for the UI's static files only,
//   so a local server that receives it learns nothing that opens the api;
// - a foreign Origin, or Sec-Fetch-Site: cross-site / same-site on the api, is refused;
// - the URL's token wins over a cookie (a cookie of an earlier session must not shadow it).
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/** The cookie's name includes the port: two servers (or an earlier one) never share a cookie. */
export function cookieName(port: number): string {
  return `vae_lab_${port}`
}

/** What the cookie holds: opens the UI's files, never the api. */
export function cookieValue(token: string): string {
  return createHmac('sha256', token).update('vae-lab static files').digest('hex')
}

export function sameSecret(a: string | null | undefined, b: string): boolean {
  if (typeof a !== 'string') return false
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function headerToken(headers: IncomingHttpHeaders): string | null {
  const auth = headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice(7)
  const header = headers['x-vae-lab-token']
  return typeof header === 'string' ? header : null
}

function cookieOf(headers: IncomingHttpHeaders, name: string): string | null {
  const found = (headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${name}=`))
  return found ? found.slice(name.length + 1) : null
}

export type RouteKind = 'api' | 'events' | 'page' | 'asset'

export type Verdict =
  | { ok: true; setCookie: boolean }
  | { ok: false; status: 401 | 403; reason: 'foreign-origin' | 'no-token' | 'stale-token' }

export interface AuthInput {
  kind: RouteKind
  headers: IncomingHttpHeaders
  /** `?token=` of the URL, if any. */
  urlToken: string | null
  token: string
  port: number
}

const OWN_ORIGINS = (port: number) => [`http://127.0.0.1:${port}`, `http://localhost:${port}`]

/** Whether a request may be answered, and whether its answer should (re)set the cookie. */
export function authorize(i: AuthInput): Verdict {
  const origin = i.headers.origin
  // Browsers send Origin on every POST and every CORS request (fetch, EventSource): a page of
  // another port or site is refused before its token or cookie is looked at. 'null' (sandboxed
  // frames, file://) is foreign too.
  if (typeof origin === 'string' && !OWN_ORIGINS(i.port).includes(origin))
    return { ok: false, status: 403, reason: 'foreign-origin' }
  const site = i.headers['sec-fetch-site']
  if (i.kind === 'api' || i.kind === 'events') {
    // Our page's own calls are same-origin; a script or CLI sends no Sec-Fetch-Site at all.
    if (typeof site === 'string' && site !== 'same-origin' && site !== 'none')
      return { ok: false, status: 403, reason: 'foreign-origin' }
  } else if (site === 'cross-site' && i.headers['sec-fetch-mode'] !== 'navigate') {
    // Another site may link to the UI (a navigation), not embed its files.
    return { ok: false, status: 403, reason: 'foreign-origin' }
  }

  const given = headerToken(i.headers) ?? (i.kind === 'api' ? null : i.urlToken)
  // The URL (or header) token wins: when present it decides, whatever cookie came along.
  if (given !== null) {
    return sameSecret(given, i.token)
      ? { ok: true, setCookie: i.kind === 'page' }
      : { ok: false, status: 401, reason: 'stale-token' }
  }
  const cookie = cookieOf(i.headers, cookieName(i.port))
  // The page itself needs the token in its URL (the UI reads it from there for its api calls);
  // its scripts, styles and images cannot carry one and come with the cookie.
  const current = cookie !== null && sameSecret(cookie, cookieValue(i.token))
  if (i.kind === 'asset' && current) return { ok: true, setCookie: false }
  // A cookie of this port that this start did not set is from an earlier session.
  return {
    ok: false,
    status: 401,
    reason: cookie !== null && !current ? 'stale-token' : 'no-token'
  }
}
