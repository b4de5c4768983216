import { describe, expect, it } from 'vitest'
import {
  connectError,
  isConnectionError,
  parsePostgresUri
} from '../../../../src-main/core/store/postgresTarget'

describe('parsePostgresUri', () => {
  it('reads user, host, port and database, and shows them without the password', () => {
    expect(parsePostgresUri('postgres://lab:s%40cret@db.lab:6543/runs')).toMatchObject({
      host: 'db.lab',
      port: 6543,
      database: 'runs',
      user: 'lab',
      display: 'lab@db.lab:6543/runs'
    })
    expect(parsePostgresUri('postgresql://db.lab/runs')).toMatchObject({ port: 5432, user: null })
    expect(parsePostgresUri('postgres:///runs?host=/var/run/postgresql').host).toBe(
      '/var/run/postgresql'
    )
  })

  it('refuses malformed URIs, saying what to write and never echoing the password', () => {
    const cases: [string, RegExp][] = [
      ['postgres://lab:secret@db.lab:99999/runs', /not a valid PostgreSQL URI|port must be/],
      ['postgres://lab:secret@/runs', /names no server|not a valid PostgreSQL URI/],
      ['postgres://lab:secret@db.lab', /names no database/],
      ['postgres://lab:secret@db.lab/a/b', /names no database/],
      ['postgres://lab:sec ret@db lab/runs', /not a valid PostgreSQL URI/]
    ]
    for (const [uri, message] of cases) {
      let error: unknown
      try {
        parsePostgresUri(uri)
      } catch (e) {
        error = e
      }
      expect(error, uri).toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(message)
      })
      expect((error as Error).message).not.toContain('secret')
    }
  })
})

describe('connectError', () => {
  const target = parsePostgresUri('postgres://lab:secret@db.lab:5432/runs')
  const say = (e: unknown) => connectError(target, e).message

  it('says what to do for each way a connection is refused', () => {
    expect(say({ code: '28P01' })).toMatch(
      /refused the password for user "lab"; check the password/
    )
    expect(say({ code: '3D000' })).toMatch(/no database "runs" .*createdb/)
    expect(say({ code: '53300', message: 'sorry, too many clients already' })).toMatch(
      /too many clients .* run fewer at once .*max_connections/
    )
    expect(say({ code: 'ECONNREFUSED' })).toMatch(/connection refused; is the server running/)
    expect(say({ code: 'ENOTFOUND' })).toMatch(/"db.lab" does not resolve/)
    expect(
      say(new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'))
    ).toMatch(/asks user "lab" for a password and none was given/)
    expect(connectError(target, { code: '28P01' }).code).toBe('INVALID_INPUT')
  })

  it('tells a lost connection from a bad statement', () => {
    expect(isConnectionError({ code: '57P01' })).toBe(true)
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true)
    expect(isConnectionError({ code: 'ECONNRESET' })).toBe(true)
    expect(isConnectionError({ code: '42P01', message: 'relation "x" does not exist' })).toBe(false)
    expect(isConnectionError({ code: '23505' })).toBe(false)
  })
})
