// SQLite's file-level failures become errors that say what to do (issue 12, finding 5).
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { VaeLabService } from '../../../../src-main/api/service'
import { VaeLabError } from '../../../../src-main/common/errors'
import { openRunStore } from '../../../../src-main/core/store/openRunStore'
import { storageError } from '../../../../src-main/core/store/sqliteDriver'
import { canMakeImmutable, makeImmutable, scramblePage } from '../../../helpers/damagedDatabase'
import { tempDir } from '../../../helpers/fixtures'

const sqliteError = (code: string, message: string) =>
  Object.assign(new Error(message), { code, name: 'SqliteError' })

const undo: (() => void)[] = []
afterEach(() => undo.splice(0).forEach((f) => f()))

async function seeded() {
  const file = path.join(tempDir(), 'runs.sqlite')
  const store = await openRunStore(file)
  const service = new VaeLabService(store, 1)
  await service.api.queueSweep({
    base: { epochs: 1, limitTrain: 200 },
    grid: { latentDim: Array.from({ length: 30 }, (_, i) => i + 1) }
  })
  await store.close()
  return file
}

describe('storageError', () => {
  it.each([
    [
      'SQLITE_CORRUPT',
      'database disk image is malformed',
      'DATABASE_DAMAGED',
      'restore a copy made with `vae-lab db backup`'
    ],
    ['SQLITE_NOTADB', 'file is not a database', 'DATABASE_DAMAGED', 'choose another --db'],
    [
      'SQLITE_READONLY',
      'attempt to write a readonly database',
      'DATABASE_UNWRITABLE',
      'is read-only'
    ],
    [
      'SQLITE_READONLY_DBMOVED',
      'attempt to write a readonly database',
      'DATABASE_UNWRITABLE',
      'is read-only'
    ],
    [
      'SQLITE_FULL',
      'database or disk is full',
      'DATABASE_UNWRITABLE',
      'nothing was written: free some space'
    ],
    [
      'SQLITE_CANTOPEN',
      'unable to open database file',
      'DATABASE_UNWRITABLE',
      'exist and are writable'
    ],
    ['SQLITE_IOERR_WRITE', 'disk I/O error', 'DATABASE_UNWRITABLE', 'check the disk']
  ])('turns %s (%s) into %s, saying: %s', (code, message, expected, advice) => {
    const e = storageError(sqliteError(code, message), '/data/runs.sqlite') as VaeLabError
    expect(e).toBeInstanceOf(VaeLabError)
    expect(e.code).toBe(expected)
    expect(e.message).toContain('/data/runs.sqlite')
    expect(e.message).toContain(message)
    expect(e.message).toContain(advice)
  })

  it('leaves other errors alone (a unique violation is the store’s to handle)', () => {
    const unique = sqliteError('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed')
    expect(storageError(unique, 'f')).toBe(unique)
    const plain = new Error('x')
    expect(storageError(plain, 'f')).toBe(plain)
  })
})

describe('a damaged or read-only SQLite store', () => {
  it('answers a read of a scrambled table with DATABASE_DAMAGED, and db check reports it instead of throwing', async () => {
    const file = await seeded()
    scramblePage(file)
    const store = await openRunStore(file)
    try {
      const service = new VaeLabService(store, 1)
      const answer = await service.invoke('listRuns', [])
      expect(answer).toMatchObject({ ok: false, error: { code: 'DATABASE_DAMAGED' } })
      const check = await service.checkDatabase()
      expect(check.ok).toBe(false)
      expect(check.problems.join('\n')).toMatch(/damaged|malformed|corrupt/i)
    } finally {
      await store.close()
    }
  })

  // Needs chattr +i (root, a file system with attributes): as CI runs.
  it.skipIf(!canMakeImmutable())(
    'answers a write to a read-only file with DATABASE_UNWRITABLE and changes nothing',
    async () => {
      const file = await seeded()
      const release = makeImmutable(file)
      expect(release).not.toBeNull()
      undo.push(release!)
      const store = await openRunStore(file)
      try {
        const service = new VaeLabService(store, 1)
        expect(await service.invoke('listRuns', [])).toMatchObject({ ok: true })
        const answer = await service.invoke('tagRun', [1, 'x'])
        expect(answer).toMatchObject({
          ok: false,
          error: { code: 'DATABASE_UNWRITABLE', message: expect.stringContaining('is read-only') }
        })
        expect((await store.requireRun(1)).tags).toEqual([])
      } finally {
        await store.close()
      }
    }
  )
})
