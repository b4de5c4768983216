#!/usr/bin/env node
// RSS of a long `vae-lab train` run (issue 14: a 50-epoch run keeps RSS flat within 5%). Trains
// the paper's 784-500-20 VAE for --epochs on a small subset (so it is quick; per-epoch checkpoints,
// evaluation and database writes still happen every epoch) and samples the process's RSS every
// 50 ms. Prints JSON: RSS per tenth of the run, and the peak of the last fifth against the peak of
// the second fifth (the first is warm-up: V8's heap, SQLite's cache and malloc's arenas filling).
// Usage: npm run build:node && node bench/memory.mjs [--epochs=50] [--limit-train=2000] [--backend=auto]
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name, dflt) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt
const epochs = arg('epochs', '50')
const dir = mkdtempSync(path.join(os.tmpdir(), 'vae-lab-memory-'))

const rssMb = (pid) => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : null
  } catch {
    return null
  }
}

const child = spawn(
  process.execPath,
  [
    'bin/vae-lab.js',
    'train',
    '--latent',
    '20',
    '--epochs',
    epochs,
    '--limit-train',
    arg('limit-train', '2000'),
    '--limit-test',
    arg('limit-test', '500'),
    '--backend',
    arg('backend', 'auto'),
    '--workers',
    '1',
    '--json',
    '--db',
    path.join(dir, 'runs.sqlite')
  ],
  { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }
)
let stdout = ''
child.stdout.on('data', (d) => (stdout += d))
const samples = []
const t0 = performance.now()
const timer = setInterval(() => {
  const r = rssMb(child.pid)
  if (r !== null) samples.push([(performance.now() - t0) / 1000, r])
}, 50)
child.on('exit', (code) => {
  clearInterval(timer)
  rmSync(dir, { recursive: true, force: true })
  let run = null
  try {
    run = JSON.parse(stdout)[0]
  } catch {
    /* reported below */
  }
  const tenth = (k) =>
    samples.slice(
      Math.floor((k * samples.length) / 10),
      Math.floor(((k + 1) * samples.length) / 10)
    )
  const peak = (xs) => Math.max(...xs.map((s) => s[1]))
  const fifth = (k) => [...tenth(2 * k), ...tenth(2 * k + 1)]
  const early = peak(fifth(1))
  const late = peak(fifth(4))
  // After warm-up and before the worker exits (its memory goes with it).
  const steady = samples
    .slice(Math.floor(samples.length / 5), Math.floor((samples.length * 9) / 10))
    .map((s) => s[1])
  console.log(
    JSON.stringify(
      {
        exit: code,
        status: run?.status ?? null,
        epochs: run?.epochs ?? null,
        backend: run?.backend ?? null,
        seconds: +(samples.at(-1)?.[0] ?? 0).toFixed(1),
        rss_mb_peak_per_tenth: Array.from({ length: 10 }, (_, k) => +peak(tenth(k)).toFixed(1)),
        peak_second_fifth_mb: +early.toFixed(1),
        peak_last_fifth_mb: +late.toFixed(1),
        growth_percent: +((100 * (late - early)) / early).toFixed(1),
        rss_mb_min_max_20_to_90_percent: [
          +Math.min(...steady).toFixed(1),
          +Math.max(...steady).toFixed(1)
        ]
      },
      null,
      2
    )
  )
})
