// Issue 5: "the main thread or server event loop is never blocked for more than 50 ms". Starts a
// The workbench service and the browser-mode HTTP server in this process on a temp database, trains a 2-worker
// sweep (latent 2, 5, 10, 50) while an SSE client listens and the UI's polls run, then asks for the
// Compare view's figures; measures event-loop delay (perf_hooks histogram and a setInterval drift
// probe) per phase and names what was in flight during every stall over the threshold.
// Needs the compiled core: `npm run build:node && node bench/eventLoopLag.mjs [--epochs 2]
// [--train 10000] [--workers 2] [--threshold 50] [--warm]`. Prints JSON.
import { fileURLToPath } from 'node:url'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = (p) => path.join(root, 'out', 'node', p)
if (!fs.existsSync(out('api/service.js'))) {
  console.error('bench: the core is not built; run `npm run build:node` first')
  process.exit(2)
}
const { VaeLabService } = require(out('api/service.js'))
const { openRunStore } = require(out('core/store/openRunStore.js'))
const { startServer } = require(out('adapters/http/server.js'))

const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : dflt
}
const EPOCHS = opt('epochs', 2)
const TRAIN = opt('train', 10_000)
const WORKERS = opt('workers', 2)
const THRESHOLD = opt('threshold', 50)
// --warm probes the backends before the sweep, as the Electron main process does at startup: the
// first probe loads modules synchronously (about 100 ms, once per process).
const WARM = process.argv.includes('--warm')
const LATENTS = [2, 5, 10, 50]

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-lag-'))
// The server needs a built UI to start; the bench measures the api, so a stub page will do.
let rendererDir = path.join(root, 'out', 'renderer')
if (!fs.existsSync(path.join(rendererDir, 'index.html'))) {
  rendererDir = path.join(dir, 'renderer')
  fs.mkdirSync(rendererDir)
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>stub</title>')
}
const store = await openRunStore(path.join(dir, 'runs.sqlite'))
const workbench = new VaeLabService(store, WORKERS)
const server = await startServer(workbench, { port: 0, rendererDir })
const host = `127.0.0.1:${server.port}`

// --- what is in flight, so a stall can be attributed -------------------------------------------
const inFlight = new Map() // id -> label
let nextOp = 0
const recentEvents = [] // [time, type]
const stalls = []

// --- probes ------------------------------------------------------------------------------------
const PERIOD = 10
let phase = 'idle'
const phases = new Map()
function phaseStats(name) {
  if (!phases.has(name)) {
    const h = monitorEventLoopDelay({ resolution: 5 })
    h.enable()
    phases.set(name, { h, driftMax: 0, ticks: 0, started: performance.now(), ms: 0 })
  }
  return phases.get(name)
}
// Lets the histogram see the last stall of a phase before the phase is closed.
const settle = () => new Promise((r) => setTimeout(r, 3 * PERIOD))
function setPhase(name) {
  const old = phases.get(phase)
  if (old) {
    old.h.disable()
    old.ms += performance.now() - old.started
  }
  phase = name
  const s = phaseStats(name)
  s.h.enable()
  s.started = performance.now()
}
setPhase(WARM ? 'startup (backend probe)' : 'training')

let last = performance.now()
const probe = setInterval(() => {
  const now = performance.now()
  const drift = now - last - PERIOD
  last = now
  const s = phaseStats(phase)
  s.ticks++
  if (drift > s.driftMax) s.driftMax = drift
  if (drift > THRESHOLD) {
    stalls.push({
      phase,
      atMs: Math.round(now),
      // the same instant on the clock of `node --cpu-prof` profiles, to find the stalled frames
      hrtimeUs: Number(process.hrtime.bigint() / 1000n),
      blockedMs: Math.round(drift),
      inFlight: [...inFlight.values()],
      eventsJustBefore: recentEvents.filter(([t]) => t > now - drift - 20).map(([, type]) => type)
    })
  }
}, PERIOD)

// --- an SSE client, as the browser UI keeps one -----------------------------------------------
const sse = { events: 0, batch: 0, epoch: 0, status: 0, bytes: 0 }
const sseReq = http.get(
  {
    host: '127.0.0.1',
    port: server.port,
    path: '/api/events',
    headers: { host, authorization: `Bearer ${server.token}` }
  },
  (res) => {
    res.setEncoding('utf8')
    res.on('data', (chunk) => {
      sse.bytes += chunk.length
      for (const m of chunk.matchAll(/^data: (.*)$/gm)) {
        const e = JSON.parse(m[1])
        sse.events++
        if (e.type in sse) sse[e.type]++
        recentEvents.push([performance.now(), e.type])
        if (recentEvents.length > 200) recentEvents.shift()
      }
    })
  }
)
sseReq.on('error', () => {})

// --- the api, over HTTP as the UI calls it ----------------------------------------------------
const calls = new Map() // method -> { n, maxMs, totalMs, maxBytes }
function call(method, args = []) {
  const id = nextOp++
  inFlight.set(id, method)
  const t0 = performance.now()
  const body = JSON.stringify({ args })
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path: `/api/call/${method}`,
        headers: {
          host,
          authorization: `Bearer ${server.token}`,
          'content-type': 'application/json'
        }
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c) => (text += c))
        res.on('end', () => {
          inFlight.delete(id)
          const ms = performance.now() - t0
          const c = calls.get(method) ?? { n: 0, maxMs: 0, totalMs: 0, maxBytes: 0 }
          c.n++
          c.totalMs += ms
          c.maxMs = Math.max(c.maxMs, ms)
          c.maxBytes = Math.max(c.maxBytes, text.length)
          calls.set(method, c)
          const answer = JSON.parse(text)
          if (!answer.ok)
            reject(new Error(`${method}: ${answer.error.code}: ${answer.error.message}`))
          else resolve(answer.value)
        })
      }
    )
    req.on('error', (e) => {
      inFlight.delete(id)
      reject(e)
    })
    req.end(body)
  })
}

if (WARM) {
  await settle()
  await call('backends')
  await settle()
  setPhase('training')
  await settle()
}
const t0 = performance.now()
workbench.start()
const { runIds } = await call('queueSweep', [
  {
    base: { epochs: EPOCHS, limitTrain: TRAIN },
    grid: { latentDim: LATENTS },
    sweepName: 'lag bench'
  }
])

// The Runs view polls the table and the queue, and the detail view a running run's history.
let polling = true
const poller = (async () => {
  while (polling) {
    const runs = await call('listRuns')
    await call('queueStatus')
    const running = runs.find((r) => r.status === 'running')
    if (running) await call('getRun', [running.id])
    await new Promise((r) => setTimeout(r, 250))
  }
})()

const finished = new Set(['completed', 'failed', 'cancelled', 'diverged', 'interrupted'])
for (;;) {
  await new Promise((r) => setTimeout(r, 500))
  const runs = (await store.listRuns({})).filter((r) => runIds.includes(r.id))
  if (runs.every((r) => finished.has(r.status))) break
}
polling = false
await poller
const trainingSeconds = (performance.now() - t0) / 1000
const statuses = (await store.listRuns({}))
  .filter((r) => runIds.includes(r.id))
  .map((r) => ({
    id: r.id,
    latent: r.latent,
    status: r.status,
    backend: r.backend,
    testNelbo: r.testNelbo
  }))

// The Compare view: every figure of the sweep (PCA projection by default), then UMAP and t-SNE.
const compare = {}
for (const projection of ['pca', 'umap', 'tsne']) {
  setPhase(`compare (${projection})`)
  await settle()
  const t = performance.now()
  await call('figureInputs', [{ runIds, projection }])
  compare[projection] = Math.round(performance.now() - t)
}
await settle()
setPhase('done')

clearInterval(probe)
sseReq.destroy()
await workbench.stop()
await server.close()
await store.close()
fs.rmSync(dir, { recursive: true, force: true })

const ms = (ns) => Math.round((ns / 1e6) * 10) / 10
const report = {
  machine: { cpus: os.cpus().length, node: process.version },
  warm: WARM,
  sweep: {
    latents: LATENTS,
    epochs: EPOCHS,
    trainImages: TRAIN,
    workers: WORKERS,
    seconds: Math.round(trainingSeconds),
    runs: statuses
  },
  thresholdMs: THRESHOLD,
  phases: Object.fromEntries(
    [...phases]
      .filter(([name]) => name !== 'done')
      .map(([name, s]) => [
        name,
        {
          // monitorEventLoopDelay reports delay beyond its 5 ms timer: the stall itself.
          maxMs: ms(s.h.max),
          p99Ms: ms(s.h.percentile(99)),
          meanMs: ms(s.h.mean),
          driftProbeMaxMs: Math.round(s.driftMax * 10) / 10,
          seconds: Math.round(s.ms / 100) / 10
        }
      ])
  ),
  sse,
  apiCalls: Object.fromEntries(
    [...calls].map(([m, c]) => [
      m,
      {
        n: c.n,
        meanMs: Math.round(c.totalMs / c.n),
        maxMs: Math.round(c.maxMs),
        maxBytes: c.maxBytes
      }
    ])
  ),
  compareMs: compare,
  stallsOverThreshold: stalls
}
console.log(JSON.stringify(report, null, 2))
