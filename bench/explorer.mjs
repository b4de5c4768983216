// Issue 17: "with 2 runs training, dragging in the explorer answers within 50 ms per decode, and
// the event loop stays under 50 ms stalls". Trains one small 2-D run, then starts two more in the
// background queue (2 workers, full MNIST epochs) and, while they train, drags through the 2-D
// run's latent plane as the UI does: one decodeLatent per pointer move, each awaited before the
// next (the explorer's coalescing), for --seconds. Reports decode round trips (as the api caller
// sees them, and the worker's own decode time) and the event loop's delay (perf_hooks histogram)
// over the same window, before and during training. Needs `npm run build:node`. Prints JSON.
//   node bench/explorer.mjs [--seconds 20] [--train 60000]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = (p) => path.join(root, 'out', 'node', p)
if (!fs.existsSync(out('api/explorerWorker.js'))) {
  console.error('bench: the core is not built; run `npm run build:node` first')
  process.exit(2)
}
const { VaeLabService } = require(out('api/service.js'))
const { openRunStore } = require(out('core/store/openRunStore.js'))

const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : dflt
}
const SECONDS = opt('seconds', 20)
const TRAIN = opt('train', 60_000)

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? Number(s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2)) : null
}

async function drag(service, runId, seconds) {
  const rtt = []
  const decodeMs = []
  const h = monitorEventLoopDelay({ resolution: 5 })
  h.enable()
  const until = performance.now() + seconds * 1000
  let t = 0
  while (performance.now() < until) {
    t += 0.05
    const z = [2.5 * Math.sin(t), 2.5 * Math.cos(1.3 * t)]
    const start = performance.now()
    const r = await service.api.decodeLatent(runId, [z])
    rtt.push(performance.now() - start)
    decodeMs.push(r.ms)
    // A pointer event about every 8 ms (120 Hz), never more than one decode in flight.
    await new Promise((res) => setTimeout(res, 8))
  }
  h.disable()
  return {
    decodes: rtt.length,
    roundTripMs: { p50: q(rtt, 0.5), p95: q(rtt, 0.95), p99: q(rtt, 0.99), max: q(rtt, 1) },
    workerDecodeMs: { p50: q(decodeMs, 0.5), p95: q(decodeMs, 0.95), max: q(decodeMs, 1) },
    over50ms: rtt.filter((x) => x >= 50).length,
    eventLoopDelayMs: {
      p50: Number((h.percentile(50) / 1e6).toFixed(2)),
      p99: Number((h.percentile(99) / 1e6).toFixed(2)),
      max: Number((h.max / 1e6).toFixed(2))
    }
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-explorer-bench-'))
const store = await openRunStore(path.join(dir, 'runs.sqlite'))
const service = new VaeLabService(store, 2)
try {
  const { runs } = await service.trainSweep(
    { base: { epochs: 1, limitTrain: 2000, limitTest: 300 }, grid: { latentDim: [2] } },
    () => {},
    { workers: 1 }
  )
  const runId = runs[0].id
  await service.api.latentExplorer(runId)
  const idle = await drag(service, runId, Math.min(5, SECONDS))
  await service.api.queueSweep({
    base: { epochs: 3, limitTrain: TRAIN },
    grid: { latentDim: [5, 20] },
    sweepName: 'background'
  })
  service.start()
  // Both runs past their start (data loaded, first batches).
  for (let i = 0; i < 600; i++) {
    const running = (await service.api.listRuns({ status: 'running' })).length
    if (running >= 2) break
    await new Promise((r) => setTimeout(r, 100))
  }
  await new Promise((r) => setTimeout(r, 2000))
  const training = await service.api.listRuns({ status: 'running' })
  const busy = await drag(service, runId, SECONDS)
  console.log(
    JSON.stringify(
      {
        bench: 'explorer',
        cpus: os.cpus().length,
        loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
        idle,
        whileTraining: { runsTraining: training.length, ...busy }
      },
      null,
      2
    )
  )
} finally {
  await service.stop()
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
}
