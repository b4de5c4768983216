// Burda et al.'s known result, checked on VAE Lab: trained with the IWAE objective (k = 5), a model
// reaches a tighter k = 5000 bound on the test set, and at least as many active units, as the same
// model trained on the ELBO with the same epochs and seed. Both runs use `--preset burda`
// (784-200-200-50 tanh, dynamic binarisation, batch 20, Adam, k = 5000 evaluation).
//
//   node bench/iwaeKnownResult.mjs [--epochs 10] [--seed 0] [--limit-train N] [--limit-test N] [--init X]
//     [--results FILE]
//
// Each finished run is appended to the results file (default bench/results/iwae-known-result.jsonl)
// and not trained again, so a killed benchmark resumes. Prints one JSON object.
import { spawn } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}
const epochs = Number(option('epochs', '10'))
const seed = Number(option('seed', '0'))
const limitTrain = option('limit-train', undefined)
const init = option('init', undefined) // default: VAE Lab's default init
const limitTest = option('limit-test', undefined)
const resultsFile = path.resolve(
  option('results', path.join(root, 'bench', 'results', 'iwae-known-result.jsonl'))
)
const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'vae-lab-iwae-')), 'runs.sqlite')

function exec(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/vae-lab.js', ...args], { cwd: root })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out))
        : reject(new Error(`vae-lab ${args.join(' ')}: ${err.trim()}`))
    )
  })
}

const key = (objective, r = { epochs, seed, limitTest, limitTrain, init }) =>
  JSON.stringify([
    objective,
    r.epochs,
    r.seed,
    r.limitTest ?? null,
    r.limitTrain ?? null,
    r.init ?? null
  ])
const done = new Map(
  existsSync(resultsFile)
    ? readFileSync(resultsFile, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l))
        .map((r) => [key(r.objective, r), r])
    : []
)

mkdirSync(path.dirname(resultsFile), { recursive: true })
for (const objective of ['iwae', 'elbo']) {
  if (done.has(key(objective))) continue
  const started = Date.now()
  const [run] = await exec([
    ...['train', '--preset', 'burda', '--objective', objective],
    ...['--epochs', String(epochs), '--seed', String(seed), '--workers', '1'],
    ...(limitTrain ? ['--limit-train', limitTrain] : []),
    ...(init ? ['--init', init] : []),
    ...(limitTest ? ['--limit-test', limitTest] : []),
    ...['--json', '--db', db]
  ])
  const shown = await exec(['runs', 'show', String(run.id), '--json', '--db', db])
  const final = shown.evaluations.final
  const row = {
    objective,
    epochs,
    seed,
    limitTrain: limitTrain ?? null,
    init: init ?? null,
    limitTest: limitTest ?? null,
    protocol: shown.protocol,
    test_nelbo: final.test.nelbo,
    iwae: final.iwae,
    active_units: final.activeUnits.active,
    latent: final.activeUnits.variances.length,
    train_loss_last_epoch: shown.metrics.at(-1).train,
    seconds: (Date.now() - started) / 1000
  }
  appendFileSync(resultsFile, JSON.stringify(row) + '\n')
  done.set(key(objective), row)
  process.stderr.write(
    `${objective}: k=5000 bound ${row.iwae.nll.toFixed(2)}, active ${row.active_units}/50\n`
  )
}

const iwae = done.get(key('iwae'))
const elbo = done.get(key('elbo'))
console.log(
  JSON.stringify(
    {
      protocol: iwae.protocol.replace(/objective [^;]+; /, ''),
      trained_with_iwae_k5: {
        nll_k5000: iwae.iwae.nll,
        test_nelbo: iwae.test_nelbo,
        active_units: iwae.active_units
      },
      trained_with_elbo: {
        nll_k5000: elbo.iwae.nll,
        test_nelbo: elbo.test_nelbo,
        active_units: elbo.active_units
      },
      tighter_bound: iwae.iwae.nll < elbo.iwae.nll,
      at_least_as_many_active_units: iwae.active_units >= elbo.active_units
    },
    null,
    2
  )
)
