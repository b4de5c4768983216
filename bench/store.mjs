// The run database at scale (issue 4): 1,000 runs with 100 epochs of metrics each. Times the
// queries behind `runs list --json` and a 4-run metrics comparison, and the per-epoch write
// (metrics plus a real-size checkpoint) against the training time of an epoch. Prints JSON.
import { fileURLToPath } from 'node:url'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const out = (p) =>
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'out', 'node', p)
const { openRunStore } = require(out('core/store/openRunStore.js'))
const { TrainConfigSchema } = require(out('common/contract.js'))

const RUNS = 1000
const EPOCHS = 100
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-store-bench-'))
const store = await openRunStore(path.join(dir, 'runs.sqlite'))
const parts = (x) => ({ nelbo: x, rec: x - 10, kl: 10 })
const metrics = (epoch) => ({
  epoch,
  train: parts(200 - epoch * 0.5),
  test: parts(190 - epoch * 0.5),
  testPerDigit: Array.from({ length: 10 }, (_, d) => parts(180 + d)),
  imgPerSec: 12000,
  seconds: 5
})

let t = performance.now()
const latents = [2, 5, 10, 50]
for (let s = 0; s < RUNS / 4; s++) {
  const { runIds } = await store.createSweep(
    `sweep-${s}`,
    { latentDim: latents },
    latents.map((latentDim) => ({ config: TrainConfigSchema.parse({ latentDim, epochs: EPOCHS }) }))
  )
  for (const id of runIds) {
    for (let e = 1; e <= EPOCHS; e++) await store.appendEpoch(id, metrics(e))
    await store.finishRun(id, 'completed', null, 12000)
  }
}
const seedSeconds = (performance.now() - t) / 1000

// The store is async (a database server can implement it): each sample awaits the call.
const time = async (f, n = 20) => {
  await f()
  const samples = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await f()
    samples.push(performance.now() - t0)
  }
  samples.sort((a, b) => a - b)
  return { median_ms: +samples[n >> 1].toFixed(2), max_ms: +samples[n - 1].toFixed(2) }
}

const list = await time(() => store.listRuns())
const listJson = await time(async () => JSON.stringify(await store.listRuns()))
const four = await time(() => Promise.all([1, 250, 500, 1000].map((id) => store.epochMetrics(id))))

// One epoch's write as the training worker does it (in its own thread, so this is time the run
// spends not training): metrics and a checkpoint of 784-500-20 weights plus
// Adam's two moments (about 9.6 MB), in one transaction.
const floats = 3 * (784 * 500 + 500 + 2 * (500 * 20 + 20) + 20 * 500 + 500 + 500 * 784 + 784)
const blob = new Uint8Array(floats * 4 + 1024)
const { runIds } = await store.createSweep('write-bench', {}, [
  { config: TrainConfigSchema.parse({ latentDim: 20 }) }
])
let epoch = 0
const write = await time(
  () => store.appendEpoch(runIds[0], metrics(++epoch), { kind: 'latest', epoch, tensors: blob }),
  10
)
const epochSeconds = 60000 / 12000 // a full MNIST epoch on wasm-blas
await store.close()
fs.rmSync(dir, { recursive: true, force: true })

console.log(
  JSON.stringify(
    {
      runs: RUNS,
      epochs_per_run: EPOCHS,
      seed_seconds: +seedSeconds.toFixed(1),
      runs_list_query: list,
      runs_list_query_and_json: listJson,
      metrics_of_4_runs: four,
      epoch_write_with_9_6MB_checkpoint: write,
      epoch_write_share_of_a_5s_epoch:
        +((write.median_ms / 1000 / epochSeconds) * 100).toFixed(2) + '%',
      limits: { runs_list_ms: 100, metrics_4_runs_ms: 50, logging_share: '2%' }
    },
    null,
    2
  )
)
