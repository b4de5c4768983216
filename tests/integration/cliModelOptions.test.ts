// The model options of issues 11 and 18 through the vae-lab command: bad input exits 2 with nothing
// written, grids expand as documented, the protocol line shows what a number depends on.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { encodeIdx } from '../../src-main/core/data/idx'
import { syntheticSet, tempDir, writeIdxDataset } from '../helpers/fixtures'

const BIN = path.resolve(__dirname, '../../bin/vae-lab.js')

function vaeLab(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

function rowCounts(db: string): { runs: number; sweeps: number } {
  if (!fs.existsSync(db)) return { runs: 0, sweeps: 0 }
  const conn = new Database(db, { readonly: true })
  const count = (t: string) =>
    (conn.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n
  const counts = { runs: count('runs'), sweeps: count('sweeps') }
  conn.close()
  return counts
}

interface RunJson {
  id: number
  name: string
  config: Record<string, unknown>
  protocol: string
}

/** Queues (does not train) and returns each run as `runs show --json` has it. */
function queued(db: string, args: string[]): RunJson[] {
  const r = vaeLab(['train', ...args, '--detach', '--json', '--db', db])
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return (JSON.parse(r.stdout) as { id: number }[]).map(
    (run) =>
      JSON.parse(vaeLab(['runs', 'show', String(run.id), '--json', '--db', db]).stdout) as RunJson
  )
}

describe('vae-lab train: model options', () => {
  it.each([
    [['--init', 'nosuch'], '--init: init must be one of: torch, glorot, paper'],
    [['--objective', 'iwae', '--k', '0'], '--k: k (importance samples) must be at least 1'],
    [['--k', '5'], '--k: k (importance samples) applies to the IWAE objective only'],
    [
      ['--objective', 'elbo', '--k', '5'],
      '--k: k (importance samples) applies to the IWAE objective only'
    ],
    [
      ['--objective', 'iwae', '--beta', '4'],
      "--beta: beta weights the ELBO's KL term and the IWAE objective has none"
    ],
    [
      ['--objective', 'iwae', '--samples', '3'],
      '--samples: the IWAE objective draws k samples per image'
    ],
    [['--objective', 'nosuch'], '--objective: objective must be one of: elbo, iwae'],
    [['--hidden', '0'], '--hidden: hidden units must be at least 1'],
    [['--hidden', '10,x'], '--hidden: hidden layer sizes are whole numbers, e.g. 500 or 200,200'],
    [['--hidden', '500/'], '--hidden: hidden layer sizes are whole numbers'],
    [['--arch', 'nosuch'], '--arch: arch must be one of: mlp, conv'],
    [
      ['--arch', 'conv', '--hidden', '200,200'],
      '--hidden: hidden layer sizes apply to the MLP; the conv architecture is fixed'
    ],
    [['--eval-iwae', '0'], '--eval-iwae: eval-iwae k must be at least 1'],
    [
      ['--arch', 'conv', '--objective', 'iwae', '--k', '50'],
      '--k: the conv VAE decodes batch x samples = 5000 images per step'
    ]
  ])('%j exits 2 with a message and writes nothing, not even a database file', (args, message) => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const r = vaeLab(['train', '--latent', '2', ...args, '--db', db])
    expect(r.stderr).toContain(message)
    expect(r.code).toBe(2)
    expect(fs.readdirSync(path.dirname(db))).toEqual([])
  })

  it('refuses the conv VAE on a dataset whose images are not 28x28, and writes no run', () => {
    const dir = tempDir()
    const db = path.join(dir, 'runs.sqlite')
    const files = writeIdxDataset(dir, syntheticSet(200, 1), syntheticSet(50, 2))
    const imported = vaeLab([
      ...['data', 'import', '--name', 'small', '--train-images', files.trainImages],
      ...['--train-labels', files.trainLabels, '--test-images', files.testImages],
      ...['--test-labels', files.testLabels, '--db', db]
    ])
    expect(imported.code).toBe(0)
    // The file changes after import (say, replaced by a 14x14 set): the conv check reads it again.
    fs.writeFileSync(files.trainImages, encodeIdx([200, 14, 14], new Uint8Array(200 * 196)))
    const r = vaeLab(['train', '--latent', '2', '--arch', 'conv', '--dataset', 'small', '--db', db])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      'vae-lab: --arch: the conv architecture takes 28x28 images; dataset "small" has 14x14: use the MLP (--arch mlp)'
    )
    expect(rowCounts(db)).toEqual({ runs: 0, sweeps: 0 })
  })

  it('reads --hidden 200,200 as two layers and --hidden 500/200,200 as a sweep of two networks', () => {
    const db = path.join(tempDir(), 'runs.sqlite')
    expect(
      queued(db, ['--latent', '10', '--hidden', '200,200']).map((r) => r.config.hidden)
    ).toEqual([[200, 200]])
    const sweep = queued(db, ['--latent', '10', '--hidden', '500/200,200'])
    expect(sweep.map((r) => [r.name, r.config.hidden])).toEqual([
      ['latent 10, hidden 500', 500],
      ['latent 10, hidden 200,200', [200, 200]]
    ])
  })

  it('makes --objective elbo,iwae --k 1,5,50 a grid of one ELBO run and three IWAE runs', () => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const runs = queued(db, ['--latent', '10', '--objective', 'elbo,iwae', '--k', '1,5,50'])
    expect(runs.map((r) => r.name)).toEqual([
      'latent 10, objective elbo',
      'latent 10, objective iwae, k 1',
      'latent 10, objective iwae, k 5',
      'latent 10, objective iwae, k 50'
    ])
    expect(runs.map((r) => r.config.k ?? null)).toEqual([null, 1, 5, 50])
    // --objective iwae alone records the default k = 5
    expect(queued(db, ['--latent', '2', '--objective', 'iwae'])[0].config.k).toBe(5)
  })

  it('sweeps --arch mlp,conv, leaving the hidden sizes to the MLP run', () => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const runs = queued(db, ['--latent', '2', '--arch', 'mlp,conv', '--hidden', '64'])
    expect(runs.map((r) => [r.name, r.config.arch, r.config.hidden])).toEqual([
      ['latent 2, arch mlp', 'mlp', 64],
      ['latent 2, arch conv', 'conv', 500]
    ])
  })

  it("queues Burda et al.'s model with --preset burda, whose objective and k can be changed", () => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const [run] = queued(db, ['--preset', 'burda'])
    expect(run.config).toMatchObject({
      latentDim: 50,
      hidden: [200, 200],
      pixels: 'dynamic',
      batchSize: 20,
      objective: 'iwae',
      k: 5,
      evalIwae: 5000
    })
    const both = queued(db, ['--preset', 'burda', '--objective', 'elbo,iwae', '--k', '1,50'])
    expect(both.map((r) => `${r.config.objective} ${r.config.k ?? '-'}`)).toEqual([
      'elbo -',
      'iwae 1',
      'iwae 50'
    ])
  })

  it('shows the protocol line in runs show, as text and JSON', () => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const [run] = queued(db, [
      ...['--latent', '10', '--hidden', '200,200', '--objective', 'iwae', '--k', '5'],
      ...['--init', 'torch', '--pixels', 'dynamic', '--limit-train', '5000', '--eval-iwae', '100']
    ])
    expect(run.protocol).toMatch(
      /^MNIST \(first 5,000 of 60,000 training, 10,000 test images\), dynamically binarised .*; MLP 784-200-200-10 tanh, decoder 10-200-200-784; objective IWAE bound \(Burda et al\. 2015\), k = 5; init torch \(PyTorch's default: W, b ~ U\(±1\/√fan_in\)\); Adam, lr 0\.001, batch 100, 10 epochs; test -ELBO with one posterior sample per image, IWAE bound with k = 100; seed 1; VAE Lab /
    )
    const text = vaeLab(['runs', 'show', String(run.id), '--db', db]).stdout
    expect(text).toContain(`protocol: ${run.protocol}`)
  })

  it('records the default init, torch, and reads a run stored without an init field as Glorot, the default it was trained with', () => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const [run] = queued(db, ['--latent', '2'])
    expect(run.config.init).toBe('torch')
    const conn = new Database(db)
    const row = conn.prepare('SELECT config FROM runs WHERE id = ?').get(run.id) as {
      config: string
    }
    const old = JSON.parse(row.config) as Record<string, unknown>
    for (const field of ['init', 'arch', 'objective']) delete old[field]
    conn.prepare('UPDATE runs SET config = ? WHERE id = ?').run(JSON.stringify(old), run.id)
    conn.close()
    const shown = JSON.parse(vaeLab(['runs', 'show', String(run.id), '--json', '--db', db]).stdout)
    expect(shown.config).toMatchObject({
      init: 'glorot',
      arch: 'mlp',
      objective: 'elbo',
      hidden: 500
    })
    expect(shown.protocol).toContain('init glorot')
  })

  it('trains an IWAE run and a conv run end to end and evaluates them', () => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const quick = ['--epochs', '1', '--limit-train', '500', '--limit-test', '200', '--workers', '1']
    const runs = JSON.parse(
      vaeLab([
        'train',
        ...[
          '--latent',
          '2',
          '--objective',
          'iwae',
          '--k',
          '3',
          '--hidden',
          '32,16',
          '--eval-iwae',
          '10'
        ],
        ...quick,
        ...['--json', '--db', db]
      ]).stdout
    ) as { id: number; status: string; test_nelbo: number }[]
    expect(runs[0].status).toBe('completed')
    const conv = JSON.parse(
      vaeLab(['train', '--latent', '2', '--arch', 'conv', ...quick, '--json', '--db', db]).stdout
    ) as { id: number; status: string }[]
    expect(conv[0].status).toBe('completed')
    const shown = vaeLab(['runs', 'show', String(runs[0].id), '--db', db]).stdout
    expect(shown).toMatch(/IWAE bound \(k=10, 200 test images\): -log p\(x\) <= \d+\.\d\d nats/)
    const evaluated = JSON.parse(
      vaeLab(['eval', String(conv[0].id), '--iwae', '5', '--json', '--db', db]).stdout
    )
    expect(evaluated).toMatchObject({ run: conv[0].id, k: 5, images: 200 })
    expect(vaeLab(['eval', String(conv[0].id), '--iwae', '0', '--db', db])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--iwae: k (importance samples) must be at least 1')
    })
  })
})
