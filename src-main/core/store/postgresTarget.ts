// What a postgres:// URI names, checked before any connection is tried, and the clear refusals
// for what goes wrong when connecting (wrong password, unreachable host, too many clients...):
// a store that cannot be opened is bad input (exit 2), reported without the password.
import { VaeLabError } from '../../common/errors'

export interface PostgresTarget {
  /** The URI as given: node-postgres reads it (sslmode, options, a socket directory in ?host=). */
  url: string
  host: string
  port: number
  database: string
  user: string | null
  /** `user@host:port/db`, never the password: for messages and RunStore.location. */
  display: string
}

const FORM = 'postgres://USER:PASSWORD@HOST:PORT/DB'

/** Parses and checks a postgres:// or postgresql:// URI; INVALID_INPUT saying what is wrong. */
export function parsePostgresUri(text: string): PostgresTarget {
  let u: URL
  try {
    u = new URL(text)
  } catch {
    throw new VaeLabError(
      'INVALID_INPUT',
      `${redactUri(text)} is not a valid PostgreSQL URI; write it as ${FORM} (percent-encode @ : / in the password)`
    )
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    throw new VaeLabError('INVALID_INPUT', `${redactUri(text)} is not a postgres:// URI`)
  const socketDir = u.searchParams.get('host')
  const host = decodeURIComponent(u.hostname) || socketDir || ''
  if (!host)
    throw new VaeLabError(
      'INVALID_INPUT',
      `${redactUri(text)} names no server; write it as ${FORM}`
    )
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''))
  if (!database || database.includes('/'))
    throw new VaeLabError(
      'INVALID_INPUT',
      `${redactUri(text)} names no database; write it as ${FORM}`
    )
  const port = u.port ? Number(u.port) : Number(u.searchParams.get('port') ?? 5432)
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new VaeLabError('INVALID_INPUT', `${redactUri(text)}: the port must be 1-65535`)
  const user = u.username ? decodeURIComponent(u.username) : null
  return {
    url: text,
    host,
    port,
    database,
    user,
    display: `${user ? `${user}@` : ''}${host}:${port}/${database}`
  }
}

/** A URI without its password (`postgres://me:***@host/db`), for messages. */
export function redactUri(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*):[^/@]*@/i, '$1:***@')
}

interface PgErrorLike {
  code?: string
  message?: string
  errno?: number
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown: the server is stopping or restarting
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up
  '08000',
  '08001',
  '08003',
  '08004',
  '08006'
])

/** Whether `e` means the connection is gone or cannot be made (as opposed to a bad statement). */
export function isConnectionError(e: unknown): boolean {
  const err = e as PgErrorLike | null
  if (!err) return false
  if (err.code && CONNECTION_CODES.has(err.code)) return true
  return /Connection terminated|Client was closed|not queryable|connection timeout|Query read timeout|timeout exceeded when trying to connect/i.test(
    err.message ?? ''
  )
}

/**
 * A failed connection attempt as the user should read it: what happened and what to do. All of
 * these are exit 2 (the --db is not usable as given).
 */
export function connectError(t: PostgresTarget, e: unknown): VaeLabError {
  const err = (e ?? {}) as PgErrorLike
  const at = `PostgreSQL at ${t.host}:${t.port}`
  const who = t.user ? `user "${t.user}"` : 'the user'
  const say = (message: string) => new VaeLabError('INVALID_INPUT', message, { cause: e })
  switch (err.code) {
    case '28P01':
      return say(
        `${at} refused the password for ${who}; check the password (in the URI, PGPASSWORD or ~/.pgpass)`
      )
    case '28000':
      return say(`${at} does not let ${who} connect: ${err.message}; ask its administrator`)
    case '3D000':
      return say(
        `there is no database "${t.database}" at ${at}; create it (createdb -h ${t.host} -p ${t.port} ${t.database}) or fix the URI`
      )
    case '53300':
      return say(
        `${at} refused the connection: too many clients (${err.message}). Each vae-lab worker holds one ` +
          'connection: run fewer at once (slurm submit --array N%M), raise max_connections, or put PgBouncer in front'
      )
    case '57P03':
      return say(`${at} is starting up or shutting down; try again in a moment`)
    case 'ECONNREFUSED':
      return say(
        `cannot reach ${at}: connection refused; is the server running and listening on port ${t.port}?`
      )
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return say(`cannot reach ${at}: the host name "${t.host}" does not resolve`)
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return say(`cannot reach ${at}: ${err.code}; check the host and the network`)
  }
  const message = err.message ?? String(e)
  if (/client password must be a (non-empty )?string|password authentication/i.test(message))
    return say(
      `${at} asks ${who} for a password and none was given; put it in the URI, PGPASSWORD or ~/.pgpass`
    )
  if (/timeout/i.test(message))
    return say(`cannot reach ${at}: no answer within the connect timeout; check the host and port`)
  if (/ENOENT|connect ENOENT/.test(message))
    return say(`cannot reach ${at}: no server socket at ${t.host}`)
  return say(`cannot open ${at}/${t.database}: ${message}`)
}
