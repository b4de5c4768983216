// `npm run bench:fidelity`: VAE Lab against the PyTorch script a user would write
// (bench/pytorch_vae.py, PyTorch's defaults unless told otherwise), as JSON on stdout.
//
//   init suite (issue 11): every init (torch, glorot, paper) x latent 2/5/10/50 x 3 seeds, one
//     10-epoch run per point on each side; epochs 1, 3 and 10 are read from that run's per-epoch
//     test metrics. Reported: VAE Lab's default vs PyTorch's default, and --init X vs --init X.
//   variants suite (issue 18): latent 10, 3 epochs, 3 seeds, both sides at their defaults:
//     IWAE k=5 (with the k=100 bound), --hidden 200,200, --arch conv.
//
// Every finished run is appended to a JSON-lines results file (--results, default
// bench/results/fidelity.jsonl) and skipped when the benchmark runs again, so a killed run
// loses one point. `--jobs 2` trains a VAE Lab run and a PyTorch run at the same time.
// Options: --suite init|variants|all (default all), --seeds 0,1,2, --latents 2,5,10,50,
// --inits torch,glorot,paper, --variants iwae-k5,hidden-200-200,conv (variants suite to train),
// --epochs 10 (init suite), --vae-lab-init X (the init VAE Lab's side
// of the variants suite uses; default: VAE Lab's default), --report-only (summarise the file),
// --markdown (the tables for README instead of JSON).
import { spawn } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PYTHON = process.env.VAE_LAB_TORCH_PYTHON ?? '/usr/bin/python3'

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}
const list = (s) => s.split(',').map((v) => v.trim())
const suite = option('suite', 'all')
const seeds = list(option('seeds', '0,1,2')).map(Number)
const latents = list(option('latents', '2,5,10,50')).map(Number)
const inits = list(option('inits', 'torch,glorot,paper'))
const variants = list(option('variants', 'iwae-k5,hidden-200-200,conv'))
const initEpochs = Number(option('epochs', '10'))
const readEpochs = [1, 3, initEpochs].filter((e, i, a) => e <= initEpochs && a.indexOf(e) === i)
const jobs = Number(option('jobs', '1'))
const resultsFile = path.resolve(
  option('results', path.join(root, 'bench', 'results', 'fidelity.jsonl'))
)
const reportOnly = process.argv.includes('--report-only')
const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'vae-lab-fidelity-')), 'runs.sqlite')

/** VAE Lab's default init, read from the built contract (what `vae-lab train` uses without --init). */
function vaeLabDefaultInit() {
  const require = createRequire(import.meta.url)
  for (const rel of ['out/node/common/contract.js', 'out/node/api/contract.js']) {
    const file = path.join(root, rel)
    if (existsSync(file)) return require(file).TrainConfigSchema.parse({ latentDim: 2 }).init
  }
  throw new Error('the CLI is not built: run `npm run build:node` first')
}

function exec(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out))
        : reject(
            new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim().split('\n').pop()}`)
          )
    )
  })
}

/** A point: one training run of one side. Its key is everything its numbers depend on. */
const keyOf = (p) =>
  JSON.stringify([p.side, p.variant, p.init, p.latent, p.seed, p.epochs, p.evalIwae ?? 0])

const VARIANTS = {
  mlp: { vaeLab: [], torch: [] },
  'iwae-k5': {
    vaeLab: ['--objective', 'iwae', '--k', '5'],
    torch: ['--objective', 'iwae', '--k', '5'],
    evalIwae: 100
  },
  'hidden-200-200': { vaeLab: ['--hidden', '200,200'], torch: ['--hidden', '200,200'] },
  conv: { vaeLab: ['--arch', 'conv'], torch: ['--arch', 'conv'] }
}

async function runVaeLab(p) {
  const v = VARIANTS[p.variant]
  const [run] = await exec(process.execPath, [
    'bin/vae-lab.js',
    'train',
    ...['--latent', String(p.latent), '--epochs', String(p.epochs), '--seed', String(p.seed)],
    ...(p.init === 'default' ? [] : ['--init', p.init]),
    ...v.vaeLab,
    ...['--workers', '1', '--json', '--db', db]
  ])
  const shown = await exec(process.execPath, [
    'bin/vae-lab.js',
    ...['runs', 'show', String(run.id), '--json', '--db', db]
  ])
  const byEpoch = Object.fromEntries(shown.metrics.map((m) => [String(m.epoch), m.test]))
  const row = {
    backend: shown.backend,
    config: shown.config,
    test_by_epoch: byEpoch,
    img_per_s: shown.metrics.at(-1)?.imgPerSec ?? null
  }
  if (p.evalIwae) {
    const iwae = await exec(process.execPath, [
      'bin/vae-lab.js',
      ...['eval', String(run.id), '--iwae', String(p.evalIwae), '--json', '--db', db]
    ])
    row.iwae = { k: iwae.k, nll: iwae.nll }
  }
  return row
}

async function runTorch(p) {
  const v = VARIANTS[p.variant]
  const out = await exec(PYTHON, [
    path.join('bench', 'pytorch_vae.py'),
    ...['--latent', String(p.latent), '--epochs', String(p.epochs), '--seed', String(p.seed)],
    ...(p.init === 'default' ? [] : ['--init', p.init]),
    ...v.torch,
    ...['--eval-epochs', p.readEpochs.join(',')],
    ...(p.evalIwae ? ['--eval-iwae', String(p.evalIwae)] : [])
  ])
  return {
    backend: `pytorch ${out.torch} (${out.blas})`,
    config: { init: out.init },
    test_by_epoch: out.test_by_epoch,
    img_per_s: out.img_per_s,
    ...(out.iwae ? { iwae: out.iwae } : {})
  }
}

function plannedPoints(defaultInit) {
  const points = []
  if (suite === 'init' || suite === 'all') {
    for (const seed of seeds)
      for (const latent of latents)
        for (const init of inits)
          for (const side of ['vae-lab', 'pytorch'])
            points.push({
              side,
              variant: 'mlp',
              init,
              latent,
              seed,
              epochs: initEpochs,
              readEpochs
            })
  }
  if (suite === 'variants' || suite === 'all') {
    // Both sides at their defaults, as users run them: VAE Lab's measured default, PyTorch's own.
    for (const seed of seeds)
      for (const variant of variants)
        for (const side of ['vae-lab', 'pytorch'])
          points.push({
            side,
            variant,
            init: side === 'vae-lab' ? defaultInit : 'torch',
            latent: 10,
            seed,
            epochs: 3,
            readEpochs: [1, 3],
            evalIwae: VARIANTS[variant].evalIwae
          })
  }
  return points
}

function readResults() {
  if (!existsSync(resultsFile)) return new Map()
  const rows = readFileSync(resultsFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
  return new Map(rows.map((r) => [keyOf(r), r]))
}

async function train(points, done) {
  mkdirSync(path.dirname(resultsFile), { recursive: true })
  const todo = points.filter((p) => !done.has(keyOf(p)))
  process.stderr.write(
    `${points.length - todo.length} points already in ${resultsFile}, ${todo.length} to train\n`
  )
  // With --jobs 2 one lane trains VAE Lab runs and the other PyTorch runs.
  const lanes =
    jobs > 1 ? ['vae-lab', 'pytorch'].map((s) => todo.filter((p) => p.side === s)) : [todo]
  await Promise.all(
    lanes.map(async (lane) => {
      for (const p of lane) {
        const started = Date.now()
        const result = await (p.side === 'vae-lab' ? runVaeLab(p) : runTorch(p))
        const row = { ...p, ...result, seconds: (Date.now() - started) / 1000 }
        delete row.readEpochs
        appendFileSync(resultsFile, JSON.stringify(row) + '\n')
        done.set(keyOf(row), row)
        process.stderr.write(
          `${p.side} ${p.variant} init=${p.init} latent=${p.latent} seed=${p.seed}: ` +
            `${Object.entries(result.test_by_epoch)
              .map(([e, t]) => `e${e} ${t.nelbo.toFixed(2)}`)
              .join(', ')}` +
            `${result.iwae ? `, iwae k=${result.iwae.k} ${result.iwae.nll.toFixed(2)}` : ''} (${row.seconds.toFixed(0)} s)\n`
        )
      }
    })
  )
}

const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length
const sd = (a) =>
  a.length > 1 ? Math.sqrt(a.reduce((s, x) => s + (x - mean(a)) ** 2, 0) / (a.length - 1)) : 0
const stats = (a) =>
  a.length ? { mean: +mean(a).toFixed(2), sd: +sd(a).toFixed(2), n: a.length } : null

/** Mean ± sd over seeds of one side's test -ELBO at `epoch` (or its IWAE bound). */
function summarise(done, side, variant, init, latent, epochs, epoch, what = 'nelbo') {
  const values = seeds
    .map((seed) =>
      done.get(
        keyOf({ side, variant, init, latent, seed, epochs, evalIwae: VARIANTS[variant].evalIwae })
      )
    )
    .filter(Boolean)
    .map((r) => (what === 'iwae' ? r.iwae?.nll : r.test_by_epoch[String(epoch)]?.nelbo))
    .filter((v) => typeof v === 'number')
  return stats(values)
}

function compare(a, b) {
  return { vae_lab: a, pytorch: b, difference: a && b ? +(a.mean - b.mean).toFixed(2) : null }
}

function report(done, defaultInit) {
  const out = {
    protocol:
      'MNIST grey levels as Bernoulli targets, Adam 1e-3, batch 100, L = 1, tanh MLP 784-500-z (variants: see each), ' +
      'test -ELBO in nats per image (one posterior sample per test image), mean ± sd over seeds ' +
      seeds.join(', '),
    vae_lab_default_init: defaultInit,
    pytorch_default_init: 'torch'
  }
  if (suite === 'init' || suite === 'all') {
    const sideStats = (side, init, latent, epoch) =>
      summarise(done, side, 'mlp', init, latent, initEpochs, epoch)
    out.init_study = inits.map((init) => ({
      init,
      by_latent: Object.fromEntries(
        latents.map((l) => [l, sideStats('vae-lab', init, l, initEpochs)])
      )
    }))
    // The default is the init with the lowest mean test -ELBO after 10 epochs, over latents.
    const ranked = out.init_study
      .map((r) => {
        const m = Object.values(r.by_latent).filter(Boolean)
        return {
          init: r.init,
          score: m.length === latents.length ? mean(m.map((s) => s.mean)) : null
        }
      })
      .filter((r) => r.score !== null)
      .sort((a, b) => a.score - b.score)
    out.init_ranking = ranked.map((r) => ({ init: r.init, mean_over_latents: +r.score.toFixed(2) }))
    out.default_vs_pytorch_default = latents.flatMap((latent) =>
      readEpochs.map((epoch) => ({
        latent,
        epoch,
        ...compare(
          sideStats('vae-lab', defaultInit, latent, epoch),
          sideStats('pytorch', 'torch', latent, epoch)
        )
      }))
    )
    out.like_for_like = inits.flatMap((init) =>
      latents.flatMap((latent) =>
        readEpochs.map((epoch) => ({
          init,
          latent,
          epoch,
          ...compare(
            sideStats('vae-lab', init, latent, epoch),
            sideStats('pytorch', init, latent, epoch)
          )
        }))
      )
    )
  }
  if (suite === 'variants' || suite === 'all') {
    out.variants = ['iwae-k5', 'hidden-200-200', 'conv'].map((variant) => {
      const row = {
        variant,
        latent: 10,
        epochs: 3,
        test_nelbo: compare(
          summarise(done, 'vae-lab', variant, defaultInit, 10, 3, 3),
          summarise(done, 'pytorch', variant, 'torch', 10, 3, 3)
        )
      }
      if (VARIANTS[variant].evalIwae)
        row[`iwae_k${VARIANTS[variant].evalIwae}`] = compare(
          summarise(done, 'vae-lab', variant, defaultInit, 10, 3, 3, 'iwae'),
          summarise(done, 'pytorch', variant, 'torch', 10, 3, 3, 'iwae')
        )
      return row
    })
  }
  return out
}

// A cell with fewer seeds than asked says how many it has.
const ms = (s) =>
  s ? `${s.mean.toFixed(1)} ± ${s.sd.toFixed(1)}${s.n < seeds.length ? ` (n = ${s.n})` : ''}` : '-'
const diff = (r) =>
  r.difference === null ? '-' : (r.difference > 0 ? '+' : '') + r.difference.toFixed(1)

/** The report's tables as Markdown, for README (`--markdown`). */
function markdown(r) {
  const out = []
  if (r.init_study) {
    out.push(`| init | ${latents.map((l) => `latent ${l}`).join(' | ')} |`)
    out.push(`|---|${latents.map(() => '---').join('|')}|`)
    for (const row of r.init_study)
      out.push(`| ${row.init} | ${latents.map((l) => ms(row.by_latent[l])).join(' | ')} |`)
    out.push('')
    out.push('| latent | epoch | VAE Lab default | PyTorch default | difference |')
    out.push('|---|---|---|---|---|')
    for (const x of r.default_vs_pytorch_default)
      out.push(`| ${x.latent} | ${x.epoch} | ${ms(x.vae_lab)} | ${ms(x.pytorch)} | ${diff(x)} |`)
    out.push('')
    out.push('| init | latent | epoch 1 | epoch 3 | epoch 10 |')
    out.push('|---|---|---|---|---|')
    for (const init of inits)
      for (const latent of latents) {
        const cells = readEpochs.map((e) => {
          const x = r.like_for_like.find(
            (y) => y.init === init && y.latent === latent && y.epoch === e
          )
          return `${ms(x.vae_lab)} vs ${ms(x.pytorch)} (${diff(x)})`
        })
        out.push(`| ${init} | ${latent} | ${cells.join(' | ')} |`)
      }
    out.push('')
  }
  if (r.variants) {
    out.push(
      '| model (latent 10, 3 epochs) | VAE Lab test -ELBO | PyTorch test -ELBO | difference | VAE Lab IWAE k=100 | PyTorch IWAE k=100 | difference |'
    )
    out.push('|---|---|---|---|---|---|---|')
    for (const v of r.variants) {
      const i = v.iwae_k100
      out.push(
        `| ${v.variant} | ${ms(v.test_nelbo.vae_lab)} | ${ms(v.test_nelbo.pytorch)} | ${diff(v.test_nelbo)} | ` +
          (i ? `${ms(i.vae_lab)} | ${ms(i.pytorch)} | ${diff(i)} |` : '- | - | - |')
      )
    }
  }
  return out.join('\n')
}

const defaultInit = option('vae-lab-init', undefined) ?? vaeLabDefaultInit()
const done = readResults()
if (!reportOnly) await train(plannedPoints(defaultInit), done)
const result = report(done, defaultInit)
console.log(
  process.argv.includes('--markdown') ? markdown(result) : JSON.stringify(result, null, 2)
)
