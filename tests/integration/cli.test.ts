import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { loadBlasAddon } from '../../src-main/core/backend/blasKernels'
import { canMakeImmutable, makeImmutable, scramblePage } from '../helpers/damagedDatabase'
import { syntheticSet, tempDir, writeIdxDataset } from '../helpers/fixtures'

const BIN = path.resolve(__dirname, '../../bin/vae-lab.js')
// Without tfjs-node or a GPU (as here and in CI), auto picks the BLAS kernels when they are built.
const AUTO_BACKEND_HERE = loadBlasAddon().ok ? 'wasm-blas' : 'wasm'

function vaeLab(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env }
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

function rowCounts(db: string): { runs: number; sweeps: number; datasets: number } {
  if (!fs.existsSync(db)) return { runs: 0, sweeps: 0, datasets: 0 }
  const conn = new Database(db, { readonly: true })
  const count = (t: string) =>
    (conn.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n
  const counts = { runs: count('runs'), sweeps: count('sweeps'), datasets: count('datasets') }
  conn.close()
  return counts
}

const quick = ['--epochs', '1', '--limit-train', '1000', '--limit-test', '500', '--hidden', '64']

describe('vae-lab CLI', () => {
  it('--help lists the commands and exits 0', () => {
    const r = vaeLab(['--help'])
    expect(r.code).toBe(0)
    for (const c of ['train', 'eval', 'bench', 'data', 'runs', 'backends'])
      expect(r.stdout).toContain(c)
    const train = vaeLab(['train', '--help'])
    expect(train.code).toBe(0)
    expect(train.stdout).toContain('--latent <dims>')
    expect(train.stdout).toContain('--backend <name>')
  })

  it.each([
    [['--latent', '0'], '--latent: latent dim must be at least 1'],
    [['--latent', '2,x'], '--latent: latent dim must be a number'],
    [['--latent', '2,,5'], 'is not a comma-separated list'],
    [['--latent', '2', '--lr', '-1'], '--lr: learning rate must be a positive, finite number'],
    [['--latent', '2', '--lr', 'NaN'], '--lr: learning rate must be a number'],
    [['--latent', '2', '--epochs', '0'], '--epochs: epochs must be at least 1'],
    [
      ['--latent', '2', '--backend', 'tpu'],
      '--backend: backend must be one of: auto, tensorflow-gpu'
    ],
    [['--latent', '2', '--optimizer', 'sgd'], '--optimizer: optimizer must be adam or adagrad'],
    [['--latent', '2', '--dataset', 'nope'], 'unknown dataset "nope"; known datasets: mnist'],
    [['--latent', '2', '--workers', '0'], 'workers: must be a whole number from 1 to 64'],
    [['--latent', '2', '--frobnicate'], "unknown option '--frobnicate'"],
    [
      ['--latent', '2', '--limit-train', '50'],
      '--limit-train: 50 training images are fewer than one batch of 100'
    ],
    [['--latent', '2', '--beta', 'abc'], '--beta: beta must be a number'],
    [
      ['--latent', '2', '--weight-decay', 'prio'],
      "--weight-decay: weight decay must be a number >= 0, or 'prior'"
    ],
    [['--latent', '2', '--sweep', ' x'], '--sweep: a sweep name is 1-100 characters'],
    [[], 'give --latent (e.g. --latent 2,5,10,50) or --preset paper'],
    // 10^10 combinations are counted, not made (issue 12, finding 2): the heap would run out.
    [
      // --hidden separates the networks of a sweep with slashes (commas list one network's layers).
      ['latent', 'beta', 'lr', 'seed', 'hidden'].flatMap((f) => [
        `--${f}`,
        Array.from({ length: 100 }, (_, i) => i + 1).join(f === 'hidden' ? '/' : ',')
      ]),
      'the grid has 100 latentDim x 100 beta x 100 lr x 100 seed x 100 hidden = 10,000,000,000 combinations'
    ]
  ])('train %j exits 2 with a clear message and writes no run', (args, message) => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const r = vaeLab(['train', ...args, '--db', db])
    expect(r.stderr).toContain(message)
    expect(r.code).toBe(2)
    expect(rowCounts(db)).toMatchObject({ runs: 0, sweeps: 0 })
  })

  it.skipIf(process.platform !== 'linux')(
    'says which database path is unusable instead of hanging or crashing',
    () => {
      expect(vaeLab(['runs', 'list', '--db', '/proc/vae-lab/x.sqlite'])).toMatchObject({
        code: 2,
        stderr:
          'vae-lab: cannot create the directory /proc/vae-lab for the database (ENOENT); choose another --db\n'
      })
      expect(vaeLab(['runs', 'list', '--db', tempDir()])).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/^vae-lab: cannot open the database .*choose another --db/)
      })
    }
  )

  it('refuses an unusable PostgreSQL URI with exit 2 and a clear message, and creates nothing (no postgres: folder)', () => {
    const cwd = tempDir()
    const cases: [string, RegExp][] = [
      [
        'postgres://lab:secret@127.0.0.1:1/runs',
        /cannot reach PostgreSQL at 127\.0\.0\.1:1: connection refused/
      ],
      ['postgresql://lab:secret@db.invalid/runs', /the host name "db\.invalid" does not resolve/],
      ['postgres://lab:secret@db.lab:99999/runs', /not a valid PostgreSQL URI|port must be/],
      ['postgres://lab:secret@db.lab', /names no database/]
    ]
    for (const [uri, message] of cases) {
      const r = spawnSync(
        process.execPath,
        [BIN, 'train', '--latent', '2', '--detach', '--db', uri],
        {
          cwd,
          encoding: 'utf8'
        }
      )
      expect(r.status, uri).toBe(2)
      expect(r.stderr).toMatch(message)
      expect(r.stderr).not.toContain('secret')
    }
    expect(fs.readdirSync(cwd)).toEqual([])
  })

  it('refuses an unknown scheme with exit 2, listing the stores it takes', () => {
    const r = vaeLab(['runs', 'list', '--db', 'foo://x'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/foo:\/\/x is not a store .*PATH or sqlite:PATH.*postgres:\/\//)
  })

  it('opens the store VAE_LAB_DB names, sqlite:PATH included, unless --db says otherwise', () => {
    const dir = tempDir()
    const fromEnv = path.join(dir, 'env.sqlite')
    const fromFlag = path.join(dir, 'flag.sqlite')
    const env = { VAE_LAB_DB: `sqlite:${fromEnv}`, VAE_LAB_HOME: path.join(dir, 'home') }
    expect(vaeLab(['train', '--latent', '2', '--detach'], env).code).toBe(0)
    expect(vaeLab(['train', '--latent', '5', '--detach', '--db', fromFlag], env).code).toBe(0)
    expect(rowCounts(fromEnv).runs).toBe(1)
    expect(rowCounts(fromFlag).runs).toBe(1)
    expect(fs.existsSync(path.join(dir, 'home'))).toBe(false)
  })

  it('resolves --weight-decay prior to 1/N of the images actually trained on', () => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const [run] = JSON.parse(
      vaeLab([
        'train',
        '--latent',
        '2',
        '--limit-train',
        '2000',
        '--weight-decay',
        'prior',
        '--detach',
        '--json',
        '--db',
        db
      ]).stdout
    )
    const shown = JSON.parse(vaeLab(['runs', 'show', String(run.id), '--json', '--db', db]).stdout)
    expect(shown.config.weightDecay).toBeCloseTo(1 / 2000, 12)
  })

  it('refuses a forced backend that is not installed, saying how to get it', () => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const r = vaeLab(['train', '--latent', '2', '--backend', 'tensorflow-gpu', '--db', db])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /backend "tensorflow-gpu" is not available: .*npm install @tensorflow\/tfjs-node-gpu/
    )
    expect(rowCounts(db).runs).toBe(0)
  })

  it('falls back to plain wasm, and says why, when the native kernels are off or missing', () => {
    const off = { VAE_LAB_BLAS: '0' }
    const reports = JSON.parse(vaeLab(['backends', '--json'], off).stdout) as {
      name: string
      available: boolean
      detail: string
    }[]
    expect(reports.find((r) => r.name === 'wasm-blas')).toEqual({
      name: 'wasm-blas',
      available: false,
      detail: 'turned off with VAE_LAB_BLAS=0'
    })
    const db = path.join(tempDir(), 'runs.sqlite')
    const r = vaeLab(
      [
        'train',
        '--latent',
        '2',
        '--epochs',
        '1',
        '--limit-train',
        '500',
        '--limit-test',
        '100',
        '--hidden',
        '32',
        '--json',
        '--db',
        db
      ],
      off
    )
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)[0].backend).toBe('wasm')
    const forced = vaeLab(['train', '--latent', '2', '--backend', 'wasm-blas', '--db', db], off)
    expect(forced.code).toBe(2)
    expect(forced.stderr).toContain(
      'backend "wasm-blas" is not available: turned off with VAE_LAB_BLAS=0'
    )
  })

  it('trains a small sweep, prints the runs as JSON and keeps everything in the database', () => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const r = vaeLab([
      'train',
      '--latent',
      '2,3',
      ...quick,
      '--json',
      '--db',
      db,
      '--sweep',
      'tiny'
    ])
    expect(r.stderr).not.toMatch(/unexpected/)
    expect(r.code).toBe(0)
    const runs = JSON.parse(r.stdout) as Record<string, unknown>[]
    expect(runs.map((x) => x.latent)).toEqual([2, 3])
    for (const run of runs) {
      expect(run).toMatchObject({
        status: 'completed',
        backend: AUTO_BACKEND_HERE,
        epochs: 1,
        sweep: 'tiny'
      })
      for (const k of ['id', 'train_nelbo', 'test_nelbo', 'test_rec', 'test_kl', 'img_per_s'])
        expect(run[k]).toBeTypeOf('number')
      expect((run.test_rec as number) + (run.test_kl as number)).toBeCloseTo(
        run.test_nelbo as number,
        6
      )
    }
    const conn = new Database(db, { readonly: true })
    const figures = conn.prepare('SELECT run_id, kind FROM figure_data ORDER BY run_id, kind').all()
    conn.close()
    expect(figures).toEqual([
      { run_id: 1, kind: 'manifold' },
      { run_id: 1, kind: 'recon' },
      { run_id: 1, kind: 'scatter' },
      { run_id: 2, kind: 'recon' },
      { run_id: 2, kind: 'scatter' }
    ])

    const show = vaeLab(['runs', 'show', '1', '--json', '--db', db])
    expect(show.code).toBe(0)
    const details = JSON.parse(show.stdout)
    expect(details.metrics).toHaveLength(1)
    expect(details.evaluations.final.activeUnits.variances).toHaveLength(2)
    expect(details.backend_detail).toMatch(/WebAssembly/)
    expect(details.config.backend).toBe('auto')

    const iwae = vaeLab(['eval', '1', '--iwae', '5', '--limit-test', '200', '--json', '--db', db])
    expect(iwae.code).toBe(0)
    expect(JSON.parse(iwae.stdout)).toMatchObject({ run: 1, k: 5, images: 200 })

    expect(vaeLab(['eval', '99', '--db', db])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no run with id 99')
    })
    expect(vaeLab(['runs', 'show', 'abc', '--db', db]).code).toBe(2)
  })

  it('imports an IDX dataset (gzip) and trains on it; a truncated file is refused and nothing registered', () => {
    const dir = tempDir()
    const db = path.join(dir, 'runs.sqlite')
    const files = writeIdxDataset(dir, syntheticSet(300, 1), syntheticSet(100, 2), true)
    const flags = [
      '--train-images',
      files.trainImages,
      '--train-labels',
      files.trainLabels,
      '--test-images',
      files.testImages,
      '--test-labels',
      files.testLabels
    ]

    const broken = path.join(dir, 'broken-labels.gz')
    fs.writeFileSync(broken, fs.readFileSync(files.trainLabels).subarray(0, 30))
    const bad = vaeLab([
      'data',
      'import',
      '--name',
      'blocks',
      ...flags.slice(0, 2),
      '--train-labels',
      broken,
      ...flags.slice(4),
      '--db',
      db
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(`${broken}: gzip data is corrupt or truncated`)
    expect(rowCounts(db).datasets).toBe(0)

    const ok = vaeLab(['data', 'import', '--name', 'blocks', ...flags, '--db', db])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('imported blocks: 300 training and 100 test images')
    expect(vaeLab(['data', 'import', '--name', 'blocks', ...flags, '--db', db])).toMatchObject({
      code: 2,
      stderr: 'vae-lab: a dataset named "blocks" already exists; choose another name\n'
    })
    const empty = writeIdxDataset(tempDir(), syntheticSet(300, 1), {
      images: new Uint8Array(0),
      labels: new Uint8Array(0),
      count: 0
    })
    const emptyFlags = [
      '--train-images',
      empty.trainImages,
      '--train-labels',
      empty.trainLabels,
      '--test-images',
      empty.testImages,
      '--test-labels',
      empty.testLabels
    ]
    expect(vaeLab(['data', 'import', '--name', 'hollow', ...emptyFlags, '--db', db])).toMatchObject(
      { code: 2, stderr: expect.stringContaining('holds no images') }
    )
    expect(vaeLab(['data', 'list', '--db', db]).stdout).toMatch(/mnist[\s\S]*blocks/)

    const r = vaeLab([
      'train',
      '--latent',
      '2',
      '--dataset',
      'blocks',
      '--epochs',
      '1',
      '--hidden',
      '32',
      '--batch',
      '50',
      '--json',
      '--db',
      db
    ])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ dataset: 'blocks', status: 'completed' })
  })

  it('cancels on Ctrl-C: exits 130 and records the run as cancelled', async () => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const child = spawn(process.execPath, [
      BIN,
      'train',
      '--latent',
      '2',
      '--epochs',
      '50',
      '--limit-train',
      '2000',
      '--limit-test',
      '200',
      '--db',
      db
    ])
    let stderr = ''
    let sent = false
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      if (!sent && stderr.includes('training on')) sent = child.kill('SIGINT')
    })
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(stderr).toContain('cancelling (finished epochs are kept')
    expect(code).toBe(130)
    const conn = new Database(db, { readonly: true })
    expect(conn.prepare('SELECT status FROM runs').all()).toEqual([{ status: 'cancelled' }])
    conn.close()
  })
})

describe('vae-lab on a damaged or read-only database (issue 12, finding 5)', () => {
  it('db check reports a scrambled page and exits 1 without a stack trace; runs list exits 2 saying what to do', () => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const grid = Array.from({ length: 30 }, (_, i) => i + 1).join(',')
    expect(vaeLab(['train', '--latent', grid, '--epochs', '1', '--detach', '--db', db]).code).toBe(
      0
    )
    scramblePage(db)
    const check = vaeLab(['db', 'check', '--db', db])
    expect(check.code).toBe(1)
    expect(check.stdout).toContain(`${db}: damaged:`)
    expect(check.stdout + check.stderr).not.toMatch(/unexpected error|\n\s+at /)
    const list = vaeLab(['runs', 'list', '--db', db])
    expect(list.code).toBe(2)
    expect(list.stderr).toMatch(/is damaged .*restore a copy made with `vae-lab db backup`/)
    expect(list.stderr).not.toMatch(/\n\s+at /)
  })

  it.skipIf(!canMakeImmutable())(
    'refuses a write to a read-only file with exit 2: choose another --db',
    () => {
      const db = path.join(tempDir(), 'runs.sqlite')
      expect(vaeLab(['train', '--latent', '2', '--epochs', '1', '--detach', '--db', db]).code).toBe(
        0
      )
      const release = makeImmutable(db)!
      try {
        const tag = vaeLab(['runs', 'tag', '1', 'x', '--db', db])
        expect(tag.code).toBe(2)
        expect(tag.stderr).toMatch(/is read-only .*or choose another --db/)
        expect(tag.stderr).not.toMatch(/unexpected error/)
      } finally {
        release()
      }
    }
  )
})
