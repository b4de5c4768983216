import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/fixtures'

const BIN = path.resolve(__dirname, '../../bin/vae-lab.js')
const small = ['--limit-train', '1000', '--limit-test', '300', '--hidden', '64', '--batch', '50']

function vaeLab(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

function json<T = Record<string, unknown>[]>(args: string[]): T {
  const r = vaeLab([...args, '--json'])
  if (r.code !== 0) throw new Error(`vae-lab ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

/** Starts the CLI and resolves once `line` appears on its stderr. */
function startUntil(args: string[], line: RegExp) {
  const child = spawn(process.execPath, [BIN, ...args])
  let stderr = ''
  const seen = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      if (line.test(stderr)) resolve()
    })
    child.on('exit', (code) => reject(new Error(`exited ${code} before ${line}: ${stderr}`)))
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, seen, exited, stderr: () => stderr }
}

describe('crash safety and resume', () => {
  it('after kill -9 mid-run the run is interrupted, the file is sound, and resume ends with the uninterrupted numbers', async () => {
    const dir = tempDir()
    const db = path.join(dir, 'runs.sqlite')
    const config = ['--latent', '2', '--epochs', '5', '--seed', '3', ...small, '--workers', '1']
    const victim = startUntil(['train', ...config, '--db', db], /epoch 2 /)
    await victim.seen
    victim.child.kill('SIGKILL')
    await victim.exited

    const [run] = json(['runs', 'list', '--db', db])
    expect(run.status).toBe('interrupted')
    expect(run.epochs as number).toBeGreaterThanOrEqual(2)
    expect(vaeLab(['db', 'check', '--db', db])).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(': ok (1 runs)')
    })

    const [resumed] = json(['resume', String(run.id), '--db', db])
    expect(resumed).toMatchObject({ status: 'completed', epochs: 5 })

    const reference = path.join(dir, 'reference.sqlite')
    const [uninterrupted] = json(['train', ...config, '--db', reference])
    expect(resumed.test_nelbo).toBe(uninterrupted.test_nelbo)
    expect(resumed.train_nelbo).toBe(uninterrupted.train_nelbo)
    const history = (file: string) =>
      json<{ metrics: { epoch: number; test: { nelbo: number } }[] }>([
        'runs',
        'show',
        '1',
        '--db',
        file
      ]).metrics
    expect(history(db).map((m) => [m.epoch, m.test.nelbo])).toEqual(
      history(reference).map((m) => [m.epoch, m.test.nelbo])
    )
  })

  it('lets two processes train into one database at once, with a third writing tags, and none sees SQLITE_BUSY', async () => {
    const db = path.join(tempDir(), 'shared.sqlite')
    vaeLab(['runs', 'list', '--db', db]) // creates the schema
    const train = (sweep: string, latent: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const c = spawn(process.execPath, [
          BIN,
          'train',
          '--latent',
          latent,
          '--epochs',
          '2',
          ...small,
          '--workers',
          '1',
          '--sweep',
          sweep,
          '--db',
          db
        ])
        let stderr = ''
        c.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
        c.on('exit', (code) => resolve({ code, stderr }))
      })
    const tagger = spawn(process.execPath, [
      '-e',
      `const D=require(${JSON.stringify(require.resolve('better-sqlite3'))});const db=new D(${JSON.stringify(db)},{timeout:5000});
       const ins=db.prepare("INSERT INTO datasets (name, source, train_images, train_labels, test_images, test_labels, n_train, n_test, created_at) VALUES (?, 'imported', 'a','b','c','d',1,1,'now') ON CONFLICT(name) DO UPDATE SET n_train = n_train + 1");
       const end=Date.now()+4000;let n=0;while(Date.now()<end){db.transaction(()=>ins.run('stress'+(n%5))).immediate();n++}console.log(n)`
    ])
    let taggerOut = ''
    tagger.stdout.on('data', (d: Buffer) => (taggerOut += d.toString()))
    const taggerDone = new Promise<number | null>((resolve) => tagger.on('exit', resolve))
    const [a, b] = await Promise.all([train('left', '2,5'), train('right', '3')])
    expect(await taggerDone).toBe(0)
    for (const r of [a, b]) {
      expect(r.stderr).not.toMatch(/SQLITE_BUSY|database is locked/)
      expect(r.code).toBe(0)
    }
    expect(Number(taggerOut)).toBeGreaterThan(100)
    const runs = json(['runs', 'list', '--db', db])
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed'])
  })
})

describe('the queue', () => {
  it('queues a sweep with --detach, honours priority and cancel, and trains the rest with `queue run`', () => {
    const db = path.join(tempDir(), 'q.sqlite')
    const queued = json([
      'train',
      '--latent',
      '2,3,4',
      '--epochs',
      '1',
      ...small,
      '--detach',
      '--db',
      db
    ])
    expect(queued.map((r) => r.status)).toEqual(['queued', 'queued', 'queued'])
    const [first, second, third] = queued.map((r) => r.id as number)
    expect(vaeLab(['queue', 'priority', String(third), '10', '--db', db]).code).toBe(0)
    expect(vaeLab(['queue', 'cancel', String(second), '--db', db]).stdout).toBe(
      `run ${second} cancelled\n`
    )
    expect(json(['queue', 'list', '--db', db]).map((r) => r.id)).toEqual([third, first])

    const trained = json(['queue', 'run', '--workers', '1', '--db', db])
    expect(trained.map((r) => [r.id, r.status])).toEqual([
      [first, 'completed'],
      [third, 'completed']
    ])
    const started = (id: number) => {
      const conn = new Database(db, { readonly: true })
      const row = conn.prepare('SELECT started_at FROM runs WHERE id = ?').get(id) as {
        started_at: string
      }
      conn.close()
      return row.started_at
    }
    expect(started(third) < started(first)).toBe(true)
    expect(json(['runs', 'list', '--status', 'cancelled', '--db', db]).map((r) => r.id)).toEqual([
      second
    ])
    expect(json(['queue', 'list', '--db', db])).toEqual([])
  })

  it('stops a run that another process is training when `queue cancel` asks it to', async () => {
    const db = path.join(tempDir(), 'c.sqlite')
    const [run] = json([
      'train',
      '--latent',
      '2',
      '--epochs',
      '200',
      ...small,
      '--detach',
      '--db',
      db
    ])
    const worker = startUntil(['queue', 'run', '--db', db], /epoch 1 /)
    await worker.seen
    expect(vaeLab(['queue', 'cancel', String(run.id), '--db', db]).stdout).toMatch(
      /cancel requested/
    )
    expect(await worker.exited).toBe(0)
    const [after] = json(['runs', 'list', '--db', db])
    expect(after.status).toBe('cancelled')
    expect(after.epochs as number).toBeGreaterThanOrEqual(1)
  })

  it('lets two processes work one queue: every run is trained exactly once', async () => {
    const db = path.join(tempDir(), 'shared-queue.sqlite')
    const queued = json([
      'train',
      '--latent',
      '2,3,4,5,6,7',
      '--epochs',
      '1',
      ...small,
      '--detach',
      '--db',
      db
    ]).map((r) => r.id as number)
    const work = () =>
      new Promise<number[]>((resolve, reject) => {
        const c = spawn(process.execPath, [
          BIN,
          'queue',
          'run',
          '--workers',
          '1',
          '--json',
          '--db',
          db
        ])
        let out = ''
        c.stdout.on('data', (d: Buffer) => (out += d.toString()))
        c.on('exit', (code) =>
          code === 0
            ? resolve((JSON.parse(out) as { id: number }[]).map((r) => r.id))
            : reject(new Error(`exit ${code}`))
        )
      })
    const [a, b] = await Promise.all([work(), work()])
    expect([...a, ...b].sort((x, y) => x - y)).toEqual(queued)
    expect(a.filter((id) => b.includes(id))).toEqual([])
    expect(json(['runs', 'list', '--status', 'completed', '--db', db])).toHaveLength(6)
  })

  it('makes one run per combination of a grid and names them by what varies', () => {
    const db = path.join(tempDir(), 'g.sqlite')
    const runs = json([
      'train',
      '--latent',
      '2,5',
      '--beta',
      '1,4',
      '--seed',
      '7',
      '--epochs',
      '1',
      '--detach',
      '--db',
      db
    ])
    expect(runs.map((r) => r.name)).toEqual([
      'latent 2, beta 1',
      'latent 2, beta 4',
      'latent 5, beta 1',
      'latent 5, beta 4'
    ])
  })
})

describe('db commands', () => {
  it('backs up to a new file, replaces an existing one only with --force, and never checks a database that is not there', () => {
    const dir = tempDir()
    const db = path.join(dir, 'runs.sqlite')
    json(['train', '--latent', '2', '--epochs', '1', '--detach', '--db', db])
    const copy = path.join(dir, 'copy.sqlite')
    expect(vaeLab(['db', 'backup', copy, '--db', db])).toMatchObject({
      code: 0,
      stdout: `backed up to ${copy}\n`
    })
    expect(vaeLab(['db', 'backup', copy, '--force', '--db', db]).code).toBe(0)
    expect(json(['runs', 'list', '--db', copy])).toHaveLength(1)
    const missing = path.join(dir, 'typo.sqlite')
    expect(vaeLab(['db', 'check', '--db', missing])).toMatchObject({
      code: 2,
      stderr: `vae-lab: there is no database at ${missing}\n`
    })
    expect(fs.existsSync(missing)).toBe(false)
  })
})

describe('run commands', () => {
  it('tags, notes, renames and deletes runs', () => {
    const db = path.join(tempDir(), 'r.sqlite')
    const [a, b] = json(['train', '--latent', '2,3', '--epochs', '1', '--detach', '--db', db]).map(
      (r) => String(r.id)
    )
    expect(vaeLab(['runs', 'tag', a, 'baseline', '--db', db]).code).toBe(0)
    expect(vaeLab(['runs', 'note', a, 'first try', '--db', db]).code).toBe(0)
    expect(vaeLab(['runs', 'rename', a, 'my run', '--db', db]).code).toBe(0)
    const shown = json<Record<string, unknown>>(['runs', 'show', a, '--db', db])
    expect(shown).toMatchObject({ name: 'my run', note: 'first try', tags: ['baseline'] })
    expect(json(['runs', 'list', '--tag', 'baseline', '--db', db]).map((r) => r.id)).toEqual([
      Number(a)
    ])
    expect(vaeLab(['runs', 'delete', a, b, '--yes', '--db', db]).stdout).toBe(
      `deleted runs ${a}, ${b}\n`
    )
    expect(json(['runs', 'list', '--db', db])).toEqual([])
  })

  it.each([
    [['runs', 'delete', '1'], 'add --yes to delete without a terminal to confirm on'],
    [['runs', 'delete', '99', '--yes'], 'no run with id 99'],
    [['runs', 'delete', 'x', '--yes'], '"x" is not a run id'],
    [['runs', 'tag', '1', 'bad tag!'], 'TAG: a tag is 1-64 letters, digits or _ . : -'],
    [['runs', 'rename', '1', ' '], 'NAME: a name is 1-200 characters'],
    [['runs', 'note', '99', 'x'], 'no run with id 99'],
    [['runs', 'show', '0'], '"0" is not a run id'],
    [['runs', 'list', '--status', 'sleeping'], "argument 'sleeping' is invalid"],
    [['resume', '1'], 'run 1 cannot be resumed: it is queued'],
    [['resume', '99'], 'no run with id 99'],
    [['queue', 'cancel', '99'], 'no run with id 99'],
    [['queue', 'priority', '1', 'high'], 'PRIORITY: priority must be a whole number'],
    [['queue', 'run', '--workers', '0'], '--workers: must be a whole number from 1 to 64'],
    [
      ['db', 'backup', '/nonexistent-dir/x.sqlite'],
      'cannot write a backup to /nonexistent-dir/x.sqlite'
    ],
    [['db', 'backup', '--force', 'DB'], 'is the database itself; back it up to another path'],
    [['db', 'backup', 'DB-wal'], 'is the database itself'],
    [['db', 'backup', 'EXISTING'], 'exists; choose another path, or add --force to replace it'],
    [
      ['train', '--latent', '2', '--beta', '1,,2', '--detach'],
      '--beta: "1,,2" is not a comma-separated list'
    ]
  ])('%j exits 2 with a clear message and changes nothing', (args, message) => {
    const db = path.join(tempDir(), 'e.sqlite')
    json(['train', '--latent', '2', '--epochs', '1', '--detach', '--db', db])
    const before = vaeLab(['runs', 'show', '1', '--json', '--db', db]).stdout
    const existing = path.join(tempDir(), 'existing.sqlite')
    fs.writeFileSync(existing, 'keep me')
    const r = vaeLab([
      ...args.map((x) => x.replace(/^DB/, db).replace('EXISTING', existing)),
      '--db',
      db
    ])
    expect(fs.readFileSync(existing, 'utf8')).toBe('keep me')
    expect(r.stderr).toContain(message)
    expect(r.code).toBe(2)
    expect(vaeLab(['runs', 'show', '1', '--json', '--db', db]).stdout).toBe(before)
    expect(json(['runs', 'list', '--db', db])).toHaveLength(1)
  })
})
