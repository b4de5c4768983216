// worker_threads entry of a calibration: time a few training steps of one backend on synthetic
// data and post the rate. A worker of its own, so each backend gets a fresh tf instance.
import { parentPort, workerData } from 'node:worker_threads'
import type { BackendName } from '../../common/contract'
import { stockMatMul } from '../model/dense'
import { benchmarkTraining, PAPER_BENCHMARK } from '../train/benchmark'
import { initBackend } from './backends'
import type { CALIBRATION_STEPS, Measurement, Variant, Workload } from './calibration'

interface CalibrationJob {
  backend: BackendName
  workload: Workload
  limits: typeof CALIBRATION_STEPS
  variant: Variant
}

async function run({ backend, workload, limits, variant }: CalibrationJob): Promise<Measurement> {
  const active = await initBackend(backend)
  // 'stock': tfjs's own dense ops and optimiser on the same backend (the benchmark's comparison).
  const env = variant === 'stock' ? { matMul: stockMatMul, blas: null } : active
  const r = await benchmarkTraining(env, {
    ...PAPER_BENCHMARK,
    ...workload,
    warmupSteps: limits.warmupSteps,
    steps: limits.steps,
    maxSeconds: limits.maxSeconds
  })
  return { backend, imgPerSec: r.imgPerSec, steps: r.steps }
}

const job = workerData as CalibrationJob
const report = (e: unknown) =>
  parentPort?.postMessage({
    backend: job.backend,
    imgPerSec: null,
    error: (e instanceof Error ? e.message : String(e)).split('\n')[0]
  } satisfies Measurement)
// The wasm runtime installs listeners that re-throw (pitfalls.md §1); report instead.
process.on('uncaughtException', report)
process.on('unhandledRejection', report)
run(job).then((m) => parentPort?.postMessage(m), report)
