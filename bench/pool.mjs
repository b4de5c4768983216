#!/usr/bin/env node
// The warm training pool, measured in one process the way the workbench, `queue run` and
// `vae-lab worker` use it (issue 14, phase 2): the service over a fresh SQLite file, its sweeps
// trained on the process's pool (after one warm-up run, so tfjs, the backend and the dataset are
// loaded). Prints one JSON object.
//
//   --mode=startup  a run's fixed cost: single-run sweeps (latent 20, 1 epoch) of 10,000 and
//                   60,000 images, alternating --rounds times; rate = 50,000 / (t60 - t10), fixed
//                   cost = t10 - 10,000 / rate, also in images at that rate (the goal: <= 5,000),
//                   with its parts (before the first step, evaluation and writes after it, the
//                   service's bookkeeping); and time to first step: a sweep of --queued runs
//                   (1,000 images each) on one worker, from the moment the worker is free (its
//                   previous run ended) to the next run's first step (the goal: <= 100 ms)
//   --mode=sweep    --runs runs (default 2) of --images images (default 15,000) each, 1 epoch,
//                   trained with 1 and with 2 workers (alternating --rounds times); wall seconds
//                   from the request to the results, speedup 1 -> 2 (the goal: >= 1.8x)
//   --mode=ttfs     time to first step in a fresh process, without a warm-up: a sweep of --queued
//                   runs (1,000 images each) on one worker; the sweep's request -> its first
//                   step (a cold process: the worker, tfjs, the backend, the dataset), and for each
//                   later run its previous run's end -> its first step (warm with the pool; with
//                   VAE_LAB_POOL=0 a new worker per run, the dataset still decoded once)
//   --mode=memory   --runs consecutive small runs (default 20; 2,000 images, 1 epoch) on one
//                   worker: after each, tfjs's live tensors, the wasm heap and the process's RSS
//
// Usage: npm run build:node && node bench/pool.mjs --mode=startup [--rounds=3] [--queued=6]
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const out = (p) => require(path.join(root, 'out', 'node', p))
const { VaeLabService } = out('api/service.js')
const { openRunStore } = out('core/store/openRunStore.js')
const { trainingPool } = out('core/train/trainingPool.js')

const arg = (name, dflt) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt
const mode = arg('mode', 'startup')
const rounds = Number(arg('rounds', 3))
const median = (xs) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b)
  if (!v.length) return null
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2
}
const r = (x, d = 0) => (x == null ? null : +x.toFixed(d))
const mb = (bytes) => (bytes == null ? null : r(bytes / 2 ** 20, 1))

const dir = mkdtempSync(path.join(os.tmpdir(), 'vae-lab-pool-bench-'))
const store = await openRunStore(`sqlite:${path.join(dir, 'runs.sqlite')}`)
const service = new VaeLabService(store)
await service.ready()
const pool = trainingPool()

/** Trains one sweep here; returns its wall seconds, its runs and the pool's records of them. */
async function sweep(grid, base, workers) {
  const before = pool.jobs().length
  const epochs = new Map()
  const t = performance.now()
  const cpu = process.cpuUsage()
  const startedAt = Date.now()
  const result = await service.trainSweep(
    { base: { epochs: 1, ...base }, grid },
    (e) => e.type === 'epoch' && epochs.set(e.runId, e.metrics),
    { workers }
  )
  const seconds = (performance.now() - t) / 1000
  const used = process.cpuUsage(cpu)
  const cpuSeconds = (used.user + used.system) / 1e6 // every thread of the process
  const failed = result.runs.find((x) => x.status !== 'completed')
  if (failed) throw new Error(`run ${failed.id} ended ${failed.status}: ${failed.message}`)
  return {
    seconds,
    cpuSeconds,
    startedAt,
    endedAt: Date.now(),
    runs: result.runs,
    jobs: pool.jobs().slice(before),
    epochs
  }
}

const single = (images) => sweep({ latentDim: [20] }, { limitTrain: images }, 1)

async function startup() {
  await single(1000) // warm-up: the worker, tfjs, the backend, MNIST in shared memory
  const t10 = []
  const t60 = []
  const c10 = []
  const c60 = []
  const parts = []
  for (let i = 0; i < rounds; i++) {
    const small = await single(10000)
    t10.push(small.seconds)
    c10.push(small.cpuSeconds)
    const job = small.jobs[0]
    const m = small.epochs.get(small.runs[0].id)
    parts.push({
      // request -> first step: queueing, claim, the run's row, the job to the worker, model init
      before_first_step_s: (job.firstStepAt - small.startedAt) / 1000,
      training_s: m.seconds,
      // the epoch's test pass, checkpoint write, final evaluation, figure data, weights, results
      after_training_s: (job.endedAt - job.firstStepAt) / 1000 - m.seconds,
      // the run's status written, the sweep's runs listed
      bookkeeping_s: (small.endedAt - job.endedAt) / 1000
    })
    const big = await single(60000)
    t60.push(big.seconds)
    c60.push(big.cpuSeconds)
  }
  const rate = 50000 / (median(t60) - median(t10))
  const fixed = median(t10) - 10000 / rate
  // The same in CPU time: under load a thread's CPU time moves much less than its wall clock.
  const cpuRate = 50000 / (median(c60) - median(c10))
  const cpuFixed = median(c10) - 10000 / cpuRate
  const queued = Number(arg('queued', 6))
  const q = await sweep(
    { latentDim: Array.from({ length: queued }, (_, i) => i + 2) },
    { limitTrain: 1000 },
    1
  )
  const ttfs = q.jobs.slice(1).map((j) => j.firstStepAt - j.freeAt)
  const part = (k) => r(median(parts.map((p) => p[k])), 3)
  return {
    what: 'warm pool, one process: single-run sweeps of 10,000 and 60,000 images (latent 20, 1 epoch, full test set); fixed cost = t(10,000) - 10,000 / rate',
    backend: q.runs[0].backend,
    rounds,
    img_per_s: Math.round(rate),
    seconds_10000: t10.map((x) => r(x, 2)),
    seconds_60000: t60.map((x) => r(x, 2)),
    fixed_cost_s: r(fixed, 3),
    fixed_cost_images: Math.round(fixed * rate),
    img_per_cpu_s: Math.round(cpuRate),
    fixed_cost_cpu_s: r(cpuFixed, 3),
    fixed_cost_images_by_cpu: Math.round(cpuFixed * cpuRate),
    // The other reading of "10,000 images at its training rate": the run's own rate (the img/s
    // its epoch reports), so the fixed cost is its wall time minus its own training time. Steadier
    // than the rate from the 60,000-image runs, which a thread tuner that settles on two threads
    // there (and not in the short run) moves by 10%.
    fixed_cost_at_own_rate: {
      img_per_s: Math.round(10000 / median(parts.map((p) => p.training_s))),
      seconds: r(median(t10) - median(parts.map((p) => p.training_s)), 3),
      images: Math.round(
        ((median(t10) - median(parts.map((p) => p.training_s))) * 10000) /
          median(parts.map((p) => p.training_s))
      )
    },
    fixed_cost_parts_s: {
      training_of_10000: part('training_s'),
      before_first_step: part('before_first_step_s'),
      after_training: part('after_training_s'),
      bookkeeping: part('bookkeeping_s')
    },
    time_to_first_step_ms: {
      what: `a sweep of ${queued} runs x 1,000 images on one worker: its previous run ended -> the next run's first step`,
      runs: ttfs.map((x) => r(x, 1)),
      median: r(median(ttfs), 1),
      max: r(Math.max(...ttfs), 1)
    },
    pool: pool.stats()
  }
}

/** The sweep's request -> its first step, and each later job's previous end -> its first step (ms). */
function firstSteps(q) {
  const next = q.jobs.slice(1).map((j, i) => j.firstStepAt - q.jobs[i].endedAt)
  return {
    first_run_ms: r(q.jobs[0].firstStepAt - q.startedAt, 1),
    next_runs_ms: next.map((x) => r(x, 1)),
    next_median_ms: r(median(next), 1),
    next_max_ms: r(Math.max(...next), 1)
  }
}

async function ttfs() {
  const queued = Number(arg('queued', 6))
  const q = await sweep(
    { latentDim: Array.from({ length: queued }, (_, i) => i + 2) },
    { limitTrain: 1000 },
    1
  )
  return {
    what: `a fresh process, no warm-up: a sweep of ${queued} runs x 1,000 images on one worker`,
    one_shot: process.env.VAE_LAB_POOL === '0',
    ...firstSteps(q),
    reuse: q.jobs.map((j) => j.reuse),
    pool: pool.stats()
  }
}

async function sweeps() {
  const images = Number(arg('images', 15000))
  const runs = Number(arg('runs', 2))
  const grid = { latentDim: Array.from({ length: runs }, (_, i) => [2, 5, 10, 50, 20, 3][i % 6]) }
  await sweep({ latentDim: [2, 5] }, { limitTrain: 500, limitTest: 500 }, 2) // two warm workers
  const one = []
  const two = []
  for (let i = 0; i < rounds; i++) {
    one.push((await sweep(grid, { limitTrain: images }, 1)).seconds)
    two.push((await sweep(grid, { limitTrain: images }, 2)).seconds)
  }
  return {
    what: `warm pool, one process: ${runs} runs x ${images} images, 1 epoch, full test set; wall seconds from the request to the results`,
    rounds,
    one_worker_s: one.map((x) => r(x, 2)),
    two_workers_s: two.map((x) => r(x, 2)),
    speedup: r(median(one) / median(two), 3),
    pool: pool.stats()
  }
}

async function memory() {
  const runs = Number(arg('runs', 20))
  const after = []
  for (let i = 0; i < runs; i++) {
    const s = await single(2000)
    const m = s.jobs[0].end.memory
    after.push({
      worker: s.jobs[0].worker,
      tensors: m.numTensors,
      wasm_heap_mb: mb(m.wasmHeapBytes),
      rss_mb: mb(m.rssBytes),
      worker_js_heap_mb: mb(m.heapUsedBytes),
      main_rss_mb: mb(process.memoryUsage().rss)
    })
  }
  const second = after[1]
  const last = after.at(-1)
  return {
    what: `${runs} consecutive runs (latent 20, 2,000 images, 1 epoch, full test set) on one warm worker; memory after each`,
    same_worker: new Set(after.map((a) => a.worker)).size === 1,
    after_each: after,
    rss_growth_percent_2nd_to_last: r((100 * (last.rss_mb - second.rss_mb)) / second.rss_mb, 1),
    wasm_heap_growth_mb_2nd_to_last: r(last.wasm_heap_mb - second.wasm_heap_mb, 1),
    pool: pool.stats()
  }
}

try {
  const result =
    mode === 'sweep'
      ? await sweeps()
      : mode === 'memory'
        ? await memory()
        : mode === 'ttfs'
          ? await ttfs()
          : await startup()
  console.log(JSON.stringify({ mode, load: os.loadavg().map((x) => r(x, 2)), ...result }, null, 2))
} finally {
  await store.close()
  await pool.close()
  rmSync(dir, { recursive: true, force: true })
}
