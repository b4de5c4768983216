import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  openRunStore,
  parseStoreUri,
  redactUri,
  resolveStoreUri
} from '../../../../src-main/core/store/openRunStore'
import type { RunStore } from '../../../../src-main/core/store/runStore'
import { tempDir } from '../../../helpers/fixtures'

const opened: RunStore[] = []
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close()
})

describe('openRunStore', () => {
  it('takes a plain path or sqlite:PATH as a SQLite file, made absolute', () => {
    expect(parseStoreUri('runs.sqlite')).toEqual({
      backend: 'sqlite',
      file: path.resolve('runs.sqlite')
    })
    expect(parseStoreUri('sqlite:/tmp/x.sqlite')).toEqual({
      backend: 'sqlite',
      file: '/tmp/x.sqlite'
    })
    expect(parseStoreUri('sqlite:///tmp/x.sqlite')).toEqual({
      backend: 'sqlite',
      file: '/tmp/x.sqlite'
    })
    expect(parseStoreUri('C:\\Users\\me\\runs.sqlite').backend).toBe('sqlite')
  })

  it('recognises postgres:// and postgresql://', () => {
    for (const uri of ['postgres://u:pw@h:5432/db', 'postgresql://h/db'])
      expect(parseStoreUri(uri).backend).toBe('postgres')
  })

  it('opens a SQLite store whose uri a worker can open again', async () => {
    const file = path.join(tempDir(), 'runs.sqlite')
    const s = await openRunStore(`sqlite:${file}`)
    opened.push(s)
    expect(s).toMatchObject({ uri: `sqlite:${file}`, location: file })
    expect(s.maintenance?.file).toBe(file)
    const again = await openRunStore(s.uri)
    opened.push(again)
    expect(await again.countRuns()).toBe(0)
  })

  it('refuses an unreachable PostgreSQL server with exit-2 input errors, creating nothing and hiding the password', async () => {
    const cwd = process.cwd()
    const dir = tempDir()
    process.chdir(dir)
    try {
      const e = await openRunStore('postgres://me:secret@127.0.0.1:1/runs').catch((x: Error) => x)
      expect(e).toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining(
          'cannot reach PostgreSQL at 127.0.0.1:1: connection refused'
        )
      })
      expect((e as Error).message).not.toContain('secret')
      expect(fs.readdirSync(dir)).toEqual([])
    } finally {
      process.chdir(cwd)
    }
  })

  it('refuses any other scheme, listing the forms it takes', async () => {
    await expect(openRunStore('foo://x')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(
        /foo:\/\/x is not a store .*PATH or sqlite:PATH.*postgres:\/\//
      )
    })
  })

  it('refuses a missing file when asked to, instead of creating it', async () => {
    const file = path.join(tempDir(), 'nothing.sqlite')
    await expect(openRunStore(file, { mustExist: true })).rejects.toMatchObject({
      code: 'NOT_FOUND'
    })
    expect(fs.existsSync(file)).toBe(false)
  })

  it('takes --db, then VAE_LAB_DB, then VAE_LAB_HOME/runs.sqlite', () => {
    const env = { VAE_LAB_DB: 'sqlite:/a.sqlite', VAE_LAB_HOME: '/home/lab' }
    expect(resolveStoreUri('/flag.sqlite', env)).toBe('/flag.sqlite')
    expect(resolveStoreUri(undefined, env)).toBe('sqlite:/a.sqlite')
    expect(resolveStoreUri(undefined, { VAE_LAB_HOME: '/home/lab' })).toBe(
      path.join('/home/lab', 'runs.sqlite')
    )
  })

  it('redacts the password of a URI', () => {
    expect(redactUri('postgres://me:secret@h:5432/db')).toBe('postgres://me:***@h:5432/db')
    expect(redactUri('postgres://h/db')).toBe('postgres://h/db')
  })
})
