// The shared queue under load (issue 16): claim latency and epoch-write latency with 1, 4 and 16
// worker processes, on PostgreSQL against SQLite, in one run. Each worker is a process of its
// own with one connection, as `vae-lab worker` is.
//   claims: the workers drain a queue of tiny runs as fast as they can (claim, then finish);
//   epochs: each worker holds one run and writes an epoch's metrics with a 9.6 MB checkpoint
//           (784-500-20 weights plus Adam's moments), fenced by its lease, every ~2 s (jittered),
//           as training workers do; the share is the median write against a 5 s epoch (a full
//           MNIST epoch on wasm-blas), the limit 2%.
// PostgreSQL: VAE_LAB_BENCH_POSTGRES, else VAE_LAB_TEST_POSTGRES, else the server that
// scripts/ci/start-postgres.sh starts; a fresh database per measurement. Prints JSON.
//   node bench/queue.mjs [--workers 1,4,16] [--epochs 4] [--backends sqlite,postgres]
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = fileURLToPath(import.meta.url)
const out = (p) => path.resolve(path.dirname(here), '..', 'out', 'node', p)
const { openRunStore } = require(out('core/store/openRunStore.js'))
const { TrainConfigSchema } = require(out('common/contract.js'))
const pg = require('pg')

const EPOCH_SECONDS = 5 // a full MNIST epoch on wasm-blas (bench/store.mjs)
const FLOATS = 3 * (784 * 500 + 500 + 2 * (500 * 20 + 20) + 20 * 500 + 500 + 500 * 784 + 784)
const parts = (x) => ({ nelbo: x, rec: x - 10, kl: 10 })
const metrics = (epoch) => ({
  epoch,
  train: parts(200 - epoch),
  test: parts(190 - epoch),
  testPerDigit: Array.from({ length: 10 }, (_, d) => parts(180 + d)),
  imgPerSec: 12000,
  seconds: EPOCH_SECONDS
})
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}

// --- A worker process: `--child PHASE URI` ------------------------------------------------
if (process.argv[2] === '--child') {
  const [phase, uri, epochsText] = process.argv.slice(3)
  const store = await openRunStore(uri)
  const owner = `${os.hostname()}:${process.pid}`
  const claims = []
  const writes = []
  const blocked = []
  if (phase === 'claims') {
    for (;;) {
      const t0 = performance.now()
      const claim = await store.claimNextQueued(owner, { leaseSeconds: 60, onLost: 'requeue' })
      claims.push(performance.now() - t0)
      if (!claim) break
      await store.finishRun(claim.runId, 'completed', null, 1, claim.token)
    }
  } else {
    // As the training worker writes: on SQLite in the training thread itself (training waits for
    // the whole write); on PostgreSQL through the process's connection while the next epoch
    // trains (training waits only for what is left of the previous write when an epoch ends).
    const blob = new Uint8Array(FLOATS * 4 + 1024)
    const claim = await store.claimNextQueued(owner, { leaseSeconds: 60, onLost: 'requeue' })
    let previous = Promise.resolve()
    for (let e = 1; e <= Number(epochsText); e++) {
      await sleep(1500 + Math.random() * 1000) // the epoch trains
      const t0 = performance.now()
      await previous
      const w0 = performance.now()
      const write = store
        .appendEpoch(
          claim.runId,
          metrics(e),
          { kind: 'latest', epoch: e, tensors: blob },
          claim.token
        )
        .then(() => writes.push(performance.now() - w0))
      if (store.backend === 'sqlite') await write
      else previous = write
      blocked.push(performance.now() - t0)
    }
    await previous
    await store.finishRun(claim.runId, 'completed', null, 1, claim.token)
  }
  await store.close()
  process.stdout.write(JSON.stringify({ claims, writes, blocked }))
  process.exit(0)
}

// --- The parent: one store per backend and worker count -------------------------------------
const backends = arg('backends', 'sqlite,postgres').split(',')
const counts = arg('workers', '1,4,16').split(',').map(Number)
const epochs = Number(arg('epochs', '4'))
const pgUri =
  process.env.VAE_LAB_BENCH_POSTGRES ??
  process.env.VAE_LAB_TEST_POSTGRES ??
  'postgres://vaelab_test:vaelab_test@127.0.0.1:54329/vaelab_test'
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-queue-bench-'))

async function admin(sql) {
  const c = new pg.Client({ connectionString: pgUri, connectionTimeoutMillis: 3000 })
  await c.connect()
  try {
    await c.query(sql)
  } finally {
    await c.end()
  }
}

/** A fresh store on `backend`; returns its URI and how to remove it. */
async function freshStore(backend) {
  if (backend === 'sqlite') {
    const file = path.join(tmp, `${randomBytes(4).toString('hex')}.sqlite`)
    return { uri: file, drop: async () => {} }
  }
  const name = `vaelab_bench_${randomBytes(4).toString('hex')}`
  await admin(`CREATE DATABASE ${name}`)
  const u = new URL(pgUri)
  u.pathname = `/${name}`
  // FORCE cannot end an autovacuum worker that is in the database just then: try again.
  const drop = async () => {
    for (let i = 0; ; i++) {
      try {
        return await admin(`DROP DATABASE ${name} WITH (FORCE)`)
      } catch (e) {
        if (i >= 10) return process.stderr.write(`could not drop ${name}: ${e.message}\n`)
        await sleep(300)
      }
    }
  }
  return { uri: u.toString(), drop }
}

async function queueRuns(uri, n) {
  const store = await openRunStore(uri) // also migrates, before any worker starts
  const config = TrainConfigSchema.parse({ latentDim: 20, epochs })
  await store.createSweep(
    `bench-${randomBytes(3).toString('hex')}`,
    {},
    Array.from({ length: n }, () => ({ config }))
  )
  await store.close()
}

function child(phase, uri) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [here, '--child', phase, uri, String(epochs)])
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(stderr))))
  })
}

const summary = (samples) => {
  const s = [...samples].sort((a, b) => a - b)
  const at = (q) => +s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(2)
  return { n: s.length, median_ms: at(0.5), p95_ms: at(0.95), max_ms: +s[s.length - 1].toFixed(2) }
}

const results = []
for (const backend of backends) {
  for (const workers of counts) {
    const claimStore = await freshStore(backend)
    await queueRuns(claimStore.uri, workers * 20)
    const claimRuns = await Promise.all(
      Array.from({ length: workers }, () => child('claims', claimStore.uri))
    )
    await claimStore.drop()
    const epochStore = await freshStore(backend)
    await queueRuns(epochStore.uri, workers)
    const epochRuns = await Promise.all(
      Array.from({ length: workers }, () => child('epochs', epochStore.uri))
    )
    await epochStore.drop()
    const claim = summary(claimRuns.flatMap((r) => r.claims))
    const write = summary(epochRuns.flatMap((r) => r.writes))
    const blocked = summary(epochRuns.flatMap((r) => r.blocked))
    const share = (ms) => `${((ms / 1000 / EPOCH_SECONDS) * 100).toFixed(2)}%`
    results.push({
      backend,
      workers,
      claim,
      epoch_write_with_9_6MB_checkpoint: write,
      training_waits_per_epoch: blocked,
      share_of_a_5s_epoch: { median: share(blocked.median_ms), p95: share(blocked.p95_ms) }
    })
    process.stderr.write(
      `${backend} x${workers}: claim ${claim.median_ms} ms, epoch write ${write.median_ms} ms, training waits ${blocked.median_ms} ms\n`
    )
  }
}
fs.rmSync(tmp, { recursive: true, force: true })
const of = (backend, workers) => results.find((r) => r.backend === backend && r.workers === workers)
console.log(
  JSON.stringify(
    {
      machine: `${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`,
      epochs_per_worker: epochs,
      results,
      postgres_vs_sqlite: counts.map((w) => {
        const p = of('postgres', w)
        const s = of('sqlite', w)
        return p && s
          ? {
              workers: w,
              claim_median: +(p.claim.median_ms / s.claim.median_ms).toFixed(2),
              epoch_write_median: +(
                p.epoch_write_with_9_6MB_checkpoint.median_ms /
                s.epoch_write_with_9_6MB_checkpoint.median_ms
              ).toFixed(2),
              training_waits_median_ms: {
                postgres: p.training_waits_per_epoch.median_ms,
                sqlite: s.training_waits_per_epoch.median_ms
              }
            }
          : null
      }),
      limits: { share_of_a_5s_epoch: '2%' }
    },
    null,
    2
  )
)
