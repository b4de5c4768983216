// `npm run bench`: VAE Lab against PyTorch 1.13 + OpenBLAS measured in the same run (784-500-20,
// batch 100, Adam, one thread). Prints one JSON object on stdout; each case is repeated
// --rounds times, interleaved with PyTorch, and reported as medians (the machine is shared).
//
//   steps     the training step on synthetic data, every backend (`vae-lab bench`), against
//             pytorch_vae.py --bench-steps;
//   train     the real training path: `vae-lab train` on full MNIST (60,000 images, 1 epoch), the
//             img/s the run reports about itself, against pytorch_vae.py's training loop;
//   command   the same commands timed from outside: wall clock of 60,000 minus 10,000 training
//             images (start-up and evaluation cancel), and each one's fixed cost (a 10,000-image
//             run's wall time minus 10,000 images at that rate: start-up, data, evaluation);
//   eval      the per-epoch test pass, IWAE (k = 5000) and the figure data, against the same
//             computations in PyTorch (bench/evaluation.mjs, bench/pytorch_eval.py);
//   threads   one run on two cores: VAE Lab's step on 1 and 2 threads (bench/blas.mjs --mode=threads,
//             and what VAE_LAB_BLAS_THREADS=auto's tuner picks) against PyTorch on 1 and 2 threads;
//   webgpu    webgpu at larger batches and a wide model, against the best CPU path (bench/webgpu.mjs);
//   startup   a run's fixed cost (everything but its training steps: start-up, data, per-epoch
//             evaluation, figure data; a 10,000-image run's wall time minus 10,000 images at its
//             training rate) in the warm pool (bench/pool.mjs: one process, as the workbench, `queue
//             run` and `vae-lab worker` train), from `vae-lab train` (a new process per command) and
//             for pytorch_vae.py (a new process per run); and the time to first step: a fresh
//             process's first run (cold), the next queued runs on the warm pool, and the same with
//             VAE_LAB_POOL=0 (a new worker per run);
//   sweep     a 2-run sweep of --sweep-images (15,000) images each, 1 epoch: the two runs as separate
//             `vae-lab train` commands one after the other (the baseline), `vae-lab train --workers 1`
//             and `--workers 2`, the same in the warm pool (by default, and with one thread a run),
//             and PyTorch's two scripts one and two processes at a time;
//   paper     (long; not in the default set) the paper sweep, 4 runs x 1 full MNIST epoch:
//             `vae-lab train --latent 2,5,10,50 --epochs 1` (a worker per core) against the four
//             PyTorch scripts two processes at a time;
//   memory    (long; not in the default set) 20 consecutive runs on one warm worker (RSS, tensors,
//             wasm heap after each: bench/pool.mjs --mode=memory) and a 50-epoch run's RSS
//             (bench/memory.mjs);
//   models    issue 18's variants (IWAE k=5, --hidden 200,200, conv) on each backend against PyTorch
//             with the same model (bench/modelVariants.mjs).
//
// Every JSON object carries the load average at its start (the machine may be shared).
//
// Usage: npm run bench [-- --cases=steps,train,command,eval,threads,webgpu,startup,sweep,models
//                          --rounds=3
//                          --iwae-images=100 --sweep-images=15000]
//        npm run bench -- --cases=paper,memory     the long ones
//        npm run bench -- --cases=startup,sweep --rounds=1   a quick look at start-up and scaling
import { fileURLToPath } from 'node:url'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { benchModelVariants } from './modelVariants.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PYTHON = process.env.VAE_LAB_TORCH_PYTHON ?? '/usr/bin/python3'
const WASM_TRANSPOSE_FREE_BASELINE = 1717 // design.md: best tfjs wasm figure measured before this project
const arg = (name, dflt) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt
const cases = arg('cases', 'steps,train,command,eval,threads,webgpu,startup,sweep,models').split(
  ','
)
const rounds = Number(arg('rounds', 3))
const iwaeImages = Number(arg('iwae-images', 100))
const hasTorch = existsSync(PYTHON)

// CPU seconds of waited-for children (utime + stime, /proc/self/stat fields 16 and 17): under
// load a process's CPU time moves much less than its wall clock.
function childCpuSeconds() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
    return (Number(fields[13]) + Number(fields[14])) / 100
  } catch {
    return NaN
  }
}

/** Runs a command; returns its parsed JSON stdout (or an error) with wall and CPU seconds. */
function run(cmd, args, env) {
  const cpu = childCpuSeconds()
  const t = performance.now()
  const r = spawnSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: env ? { ...process.env, ...env } : process.env
  })
  const seconds = (performance.now() - t) / 1000
  const cpuSeconds = childCpuSeconds() - cpu
  if (r.status !== 0)
    return {
      error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop(),
      seconds,
      cpuSeconds
    }
  try {
    return { json: JSON.parse(r.stdout), seconds, cpuSeconds }
  } catch {
    return { error: `no JSON on stdout: ${r.stdout.slice(0, 200)}`, seconds, cpuSeconds }
  }
}

const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (!v.length) return null
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2
}
const round = (x, d = 0) => (x == null ? null : +x.toFixed(d))
const ratio = (a, b) => (a && b ? round(a / b, 3) : null)
const firstError = (rs) => rs.find((r) => r.error)?.error

const pytorchBench = () =>
  run(PYTHON, ['bench/pytorch_vae.py', '--bench-steps', '300', '--threads', '1', '--latent', '20'])

function steps() {
  const torch = hasTorch ? [pytorchBench()] : []
  const vaeLab = run(process.execPath, [
    'bin/vae-lab.js',
    'bench',
    '--json',
    '--steps',
    '300',
    '--max-seconds',
    '15'
  ])
  if (hasTorch) torch.push(pytorchBench())
  const rates = torch.map((t) => t.json?.img_per_s)
  const torchRate = median(rates)
  const results = (vaeLab.json?.results ?? []).map((r) => ({
    ...r,
    vs_pytorch: ratio(r.imgPerSec, torchRate),
    vs_wasm_baseline_1717: r.imgPerSec ? round(r.imgPerSec / WASM_TRANSPOSE_FREE_BASELINE, 2) : null
  }))
  return {
    pytorch: torchRate
      ? {
          img_per_s: Math.round(torchRate),
          runs: rates.map(Math.round),
          blas: torch[0].json.blas,
          torch: torch[0].json.torch
        }
      : { unavailable: hasTorch ? (firstError(torch) ?? 'no result') : `${PYTHON} not found` },
    vae_lab: vaeLab.error ? { error: vaeLab.error } : results
  }
}

// Per core against PyTorch's one thread: without it a run may take the idle second core.
const ONE_THREAD = { VAE_LAB_BLAS_THREADS: '1' }

/** vae-lab train and pytorch_vae.py, 1 epoch at 10,000 and 60,000 images, interleaved. */
function trainingRuns() {
  const all = { vae: { 10000: [], 60000: [] }, torch: { 10000: [], 60000: [] } }
  for (let r = 0; r < rounds; r++) {
    for (const n of [10000, 60000]) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'vae-lab-bench-'))
      try {
        all.vae[n].push(
          run(
            process.execPath,
            [
              'bin/vae-lab.js',
              'train',
              '--latent',
              '20',
              '--epochs',
              '1',
              '--limit-train',
              String(n),
              '--workers',
              '1',
              '--json',
              '--db',
              path.join(dir, 'runs.sqlite')
            ],
            ONE_THREAD
          )
        )
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
      if (hasTorch)
        all.torch[n].push(
          run(PYTHON, [
            'bench/pytorch_vae.py',
            '--latent',
            '20',
            '--epochs',
            '1',
            '--limit-train',
            String(n)
          ])
        )
    }
  }
  return all
}

const selfRate = {
  vae: (r) => r.json?.[0]?.img_per_s,
  torch: (r) => r.json?.img_per_s
}

function trainCase(all) {
  const side = (who) => {
    const runs = all[who][60000]
    const rates = runs.map(selfRate[who])
    return rates.some(Number.isFinite)
      ? { img_per_s: Math.round(median(rates)), runs: rates.map((x) => round(x)) }
      : { error: firstError(runs) ?? 'no result' }
  }
  const vae = side('vae')
  const torch = hasTorch ? side('torch') : { unavailable: `${PYTHON} not found` }
  return {
    what: 'img/s each run reports for its own training loop, full MNIST, 1 epoch, one thread each',
    backend: all.vae[60000][0]?.json?.[0]?.backend ?? null,
    vae_lab: vae,
    pytorch: torch,
    vs_pytorch: ratio(vae.img_per_s, torch.img_per_s)
  }
}

function commandCase(all) {
  const side = (who) => {
    const per = (key) =>
      all[who][10000].map((small, i) => {
        const big = all[who][60000][i]
        if (!big || small.error || big.error) return NaN
        return 50000 / (big[key] - small[key])
      })
    const wall = per('seconds')
    const cpu = per('cpuSeconds')
    const rate = median(wall)
    if (!rate) return { error: firstError([...all[who][10000], ...all[who][60000]]) ?? 'no result' }
    const fixed = median(all[who][10000].map((s) => s.seconds - 10000 / rate))
    return {
      img_per_s: Math.round(rate),
      img_per_cpu_s: Math.round(median(cpu)),
      runs: wall.map((x) => round(x)),
      fixed_cost_s: round(fixed, 2),
      fixed_cost_images: Math.round(fixed * rate),
      seconds_10000: round(median(all[who][10000].map((s) => s.seconds)), 2),
      seconds_60000: round(median(all[who][60000].map((s) => s.seconds)), 2)
    }
  }
  const vae = side('vae')
  const torch = hasTorch ? side('torch') : { unavailable: `${PYTHON} not found` }
  return {
    what: 'wall clock of 1 epoch at 60,000 minus 10,000 training images; fixed cost = the 10,000-image run minus 10,000 images at that rate',
    vae_lab: vae,
    pytorch: torch,
    vs_pytorch: ratio(vae.img_per_s, torch.img_per_s),
    vs_pytorch_cpu: ratio(vae.img_per_cpu_s, torch.img_per_cpu_s)
  }
}

function evalCase() {
  const vae = []
  const torch = []
  for (let r = 0; r < rounds; r++) {
    vae.push(run(process.execPath, ['bench/evaluation.mjs', `--iwae-images=${iwaeImages}`]))
    if (hasTorch)
      torch.push(run(PYTHON, ['bench/pytorch_eval.py', '--iwae-images', String(iwaeImages)]))
  }
  const part = (name) => {
    const v = median(vae.map((x) => x.json?.[name]?.seconds))
    const p = median(torch.map((x) => x.json?.[name]?.seconds))
    return {
      vae_lab_s: round(v, 3),
      pytorch_s: round(p, 3),
      vae_lab_cpu_s: round(median(vae.map((x) => x.json?.[name]?.cpu_seconds)), 3),
      pytorch_cpu_s: round(median(torch.map((x) => x.json?.[name]?.cpu_seconds)), 3),
      time_vs_pytorch: ratio(v, p)
    }
  }
  return {
    what: `seconds; elbo = the per-epoch test pass on 10,000 test images; iwae = k ${vae[0]?.json?.iwae?.k ?? 5000} on ${iwaeImages} test images; figures = figure data and active units; time_vs_pytorch < 1 is faster`,
    backend: vae[0]?.json?.backend ?? null,
    error: firstError([...vae, ...torch]),
    elbo: part('elbo'),
    iwae: part('iwae'),
    figures: part('figures'),
    peak_memory_mb: {
      vae_lab_wasm_heap: vae[0]?.json?.wasm_heap_mb ?? null,
      vae_lab_rss: median(vae.map((x) => x.json?.peak_rss_mb)),
      pytorch_rss: median(torch.map((x) => x.json?.peak_rss_mb))
    }
  }
}

function threadsCase() {
  const torch = (t) =>
    run(PYTHON, [
      'bench/pytorch_vae.py',
      '--bench-steps',
      '300',
      '--threads',
      String(t),
      '--latent',
      '20'
    ])
  const t1 = hasTorch ? torch(1) : null
  const vae = run(process.execPath, ['bench/blas.mjs', '--mode=threads'])
  const t2 = hasTorch ? torch(2) : null
  const v = vae.json ?? { error: vae.error }
  const p1 = t1?.json?.img_per_s
  const p2 = t2?.json?.img_per_s
  return {
    what: 'one training step on 1 and 2 threads; VAE Lab measured in alternating blocks, PyTorch in two runs',
    vae_lab: v,
    pytorch: { img_per_s_1: round(p1), img_per_s_2: round(p2), speedup2: ratio(p2, p1) },
    vs_pytorch_on_2_threads: v.msPerStep2 && p2 ? round(100000 / v.msPerStep2 / p2, 3) : null
  }
}

/** Runs a command without waiting; resolves like run() once it exits. */
function runAsync(cmd, args) {
  return new Promise((resolve) => {
    const t = performance.now()
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => {
      const seconds = (performance.now() - t) / 1000
      if (code !== 0)
        return resolve({ error: stderr.trim().split('\n').pop() || `exit ${code}`, seconds })
      try {
        resolve({ json: JSON.parse(stdout), seconds })
      } catch {
        resolve({ error: `no JSON on stdout: ${stdout.slice(0, 200)}`, seconds })
      }
    })
  })
}

/** Runs `jobs` (each [cmd, args]) `at` a time; the wall seconds of all, and each one's result. */
async function inParallel(jobs, at) {
  const t = performance.now()
  const results = []
  let next = 0
  await Promise.all(
    Array.from({ length: at }, async () => {
      while (next < jobs.length) {
        const i = next++
        results[i] = await runAsync(...jobs[i])
      }
    })
  )
  return { seconds: (performance.now() - t) / 1000, results }
}

const load = () => os.loadavg().map((x) => round(x, 2))

/** `vae-lab train` of a sweep in a fresh database; the wall seconds of the command. */
function cliSweep(latents, images, workers) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vae-lab-bench-'))
  try {
    const args = ['bin/vae-lab.js', 'train', '--latent', latents.join(','), '--epochs', '1']
    if (images) args.push('--limit-train', String(images))
    if (workers) args.push('--workers', String(workers))
    return run(process.execPath, [...args, '--json', '--db', path.join(dir, 'runs.sqlite')])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const torchJob = (latent, images) => [
  PYTHON,
  [
    'bench/pytorch_vae.py',
    '--latent',
    String(latent),
    '--epochs',
    '1',
    ...(images ? ['--limit-train', String(images)] : [])
  ]
]

function startupCase(all) {
  const at = load()
  const pool = run(process.execPath, ['bench/pool.mjs', '--mode=startup', `--rounds=${rounds}`])
  // Time to first step in fresh processes: the pool's (the first run cold, the next ones warm) and
  // one-shot workers' (VAE_LAB_POOL=0: each run starts a worker, loads tfjs and the backend).
  const ttfsWarm = run(process.execPath, ['bench/pool.mjs', '--mode=ttfs'])
  const ttfsCold = run(process.execPath, ['bench/pool.mjs', '--mode=ttfs'], { VAE_LAB_POOL: '0' })
  const firstStep = (x) =>
    x.json
      ? {
          first_run_ms: x.json.first_run_ms,
          next_runs_ms: x.json.next_runs_ms,
          next_median_ms: x.json.next_median_ms
        }
      : { error: x.error }
  const cmd = commandCase(all)
  const w = pool.json
  const warm = w
    ? {
        img_per_s: w.img_per_s,
        fixed_cost_s: w.fixed_cost_s,
        fixed_cost_images: w.fixed_cost_images,
        fixed_cost_at_own_rate: w.fixed_cost_at_own_rate,
        fixed_cost_parts_s: w.fixed_cost_parts_s,
        time_to_first_step_ms: w.time_to_first_step_ms
      }
    : { error: pool.error }
  const pick = (side) =>
    side.error || side.unavailable
      ? side
      : {
          img_per_s: side.img_per_s,
          fixed_cost_s: side.fixed_cost_s,
          fixed_cost_images: side.fixed_cost_images
        }
  return {
    what: "fixed cost = a 10,000-image run's wall time minus 10,000 images at its rate (1 epoch, latent 20); goal: <= 5,000 images, and a queued run's first step <= 100 ms after a worker is free",
    load_at_start: at,
    vae_lab_warm_pool: warm,
    vae_lab_cli: pick(cmd.vae_lab),
    pytorch_script: pick(cmd.pytorch),
    time_to_first_step: {
      what: "a sweep of 6 runs x 1,000 images on one worker, each in a fresh process: the sweep's request -> its first step (cold), then each run's previous end -> its first step",
      warm_pool: firstStep(ttfsWarm),
      one_shot_workers: firstStep(ttfsCold),
      warm_vs_one_shot_next_run: ratio(
        ttfsWarm.json?.next_median_ms,
        ttfsCold.json?.next_median_ms
      ),
      warm_next_run_vs_cold_first_run: ratio(
        ttfsWarm.json?.next_median_ms,
        ttfsWarm.json?.first_run_ms
      )
    },
    warm_pool_vs_pytorch_script_seconds: ratio(warm.fixed_cost_s, cmd.pytorch.fixed_cost_s),
    cli_vs_pytorch_script_seconds: ratio(cmd.vae_lab.fixed_cost_s, cmd.pytorch.fixed_cost_s)
  }
}

async function sweepCase() {
  const images = Number(arg('sweep-images', 15000))
  const latents = [2, 5]
  const at = load()
  const cli = { 1: [], 2: [] }
  const torch = { 1: [], 2: [] }
  // The baseline: the same runs as separate `vae-lab train` commands, one after the other.
  const sequential = []
  for (let r = 0; r < rounds; r++) {
    const each = latents.map((l) => cliSweep([l], images, 1))
    sequential.push(each.some((c) => c.error) ? NaN : each.reduce((a, c) => a + c.seconds, 0))
    for (const workers of [1, 2]) {
      const c = cliSweep(latents, images, workers)
      cli[workers].push(c.error ? NaN : c.seconds)
      if (hasTorch) {
        const t = await inParallel(
          latents.map((l) => torchJob(l, images)),
          workers
        )
        torch[workers].push(t.results.some((x) => x.error) ? NaN : t.seconds)
      }
    }
  }
  const poolArgs = ['bench/pool.mjs', '--mode=sweep', `--images=${images}`, `--rounds=${rounds}`]
  const pool = run(process.execPath, poolArgs)
  // One thread a run: the scaling of the pool itself. By default one worker's run also uses the
  // core a second worker would take (VAE_LAB_BLAS_THREADS=auto), so its speed-up is smaller.
  const poolOneThread = run(process.execPath, poolArgs, { VAE_LAB_BLAS_THREADS: '1' })
  const poolSide = (p) =>
    p.json
      ? {
          one_s: round(median(p.json.one_worker_s), 2),
          two_s: round(median(p.json.two_workers_s), 2),
          speedup: p.json.speedup
        }
      : { error: p.error }
  const side = (s) => ({
    one_s: round(median(s[1]), 2),
    two_s: round(median(s[2]), 2),
    runs_one_s: s[1].map((x) => round(x, 2)),
    runs_two_s: s[2].map((x) => round(x, 2)),
    speedup: ratio(median(s[1]), median(s[2]))
  })
  const vae = {
    sequential_commands_s: round(median(sequential), 2),
    runs_sequential_commands_s: sequential.map((x) => round(x, 2)),
    ...side(cli),
    one_vs_sequential_commands: ratio(median(sequential), median(cli[1])),
    two_vs_sequential_commands: ratio(median(sequential), median(cli[2]))
  }
  const pt = hasTorch ? side(torch) : { unavailable: `${PYTHON} not found` }
  return {
    what: `2 runs (latent 2, 5) x ${images} images, 1 epoch; wall seconds: as two \`vae-lab train\` commands one after the other, and as one sweep with 1 and 2 at a time (VAE Lab: --workers; PyTorch: processes); speedups are against the slower form measured in the same rounds; goal: speedup >= 1.8`,
    load_at_start: at,
    vae_lab_cli: vae,
    vae_lab_warm_pool: poolSide(pool),
    vae_lab_warm_pool_one_thread_a_run: poolSide(poolOneThread),
    pytorch: pt,
    cli_vs_pytorch_two: ratio(pt.two_s, vae.two_s)
  }
}

async function paperCase() {
  const latents = [2, 5, 10, 50]
  const at = load()
  const vae = []
  const torch = []
  for (let r = 0; r < rounds; r++) {
    const c = cliSweep(latents, null, null)
    vae.push(c.error ? NaN : c.seconds)
    if (hasTorch) {
      const t = await inParallel(
        latents.map((l) => torchJob(l, null)),
        2
      )
      torch.push(t.results.some((x) => x.error) ? NaN : t.seconds)
    }
  }
  return {
    what: '`vae-lab train --latent 2,5,10,50 --epochs 1` (full MNIST, a worker per core) against the four pytorch_vae.py runs two processes at a time; wall seconds; goal: < 12 s on 2 cores',
    load_at_start: at,
    vae_lab_s: round(median(vae), 2),
    vae_lab_runs_s: vae.map((x) => round(x, 2)),
    pytorch_s: round(median(torch), 2),
    pytorch_runs_s: torch.map((x) => round(x, 2)),
    time_vs_pytorch: ratio(median(vae), median(torch))
  }
}

function memoryCase() {
  const at = load()
  const pool = run(process.execPath, ['bench/pool.mjs', '--mode=memory'])
  const long = run(process.execPath, ['bench/memory.mjs'])
  const p = pool.json
  return {
    load_at_start: at,
    warm_pool_20_runs: p
      ? {
          same_worker: p.same_worker,
          tensors_after_each: p.after_each.map((a) => a.tensors),
          rss_mb_after_each: p.after_each.map((a) => a.rss_mb),
          wasm_heap_mb_after_each: p.after_each.map((a) => a.wasm_heap_mb),
          rss_growth_percent_2nd_to_last: p.rss_growth_percent_2nd_to_last,
          wasm_heap_growth_mb_2nd_to_last: p.wasm_heap_growth_mb_2nd_to_last
        }
      : { error: pool.error },
    run_50_epochs: long.json ?? { error: long.error }
  }
}

const out = { model: '784-500-20', batch: 100, optimizer: 'adam', threads: 1, rounds, load: load() }
if (cases.includes('steps')) Object.assign(out, steps())
if (['train', 'command', 'startup'].some((c) => cases.includes(c))) {
  const all = trainingRuns()
  if (cases.includes('train')) out.train = trainCase(all)
  if (cases.includes('command')) out.command = commandCase(all)
  if (cases.includes('startup')) out.startup = startupCase(all)
}
if (cases.includes('sweep')) out.sweep = await sweepCase()
if (cases.includes('paper')) out.paper_sweep = await paperCase()
if (cases.includes('memory')) out.memory = memoryCase()
if (cases.includes('eval')) out.evaluation = evalCase()
if (cases.includes('threads')) out.threads_case = threadsCase()
if (cases.includes('webgpu')) {
  const webgpu = run(process.execPath, [path.join('bench', 'webgpu.mjs')])
  out.webgpu = webgpu.json ?? { error: webgpu.error }
}
// Issue 18: IWAE k=5, 200-200 and conv against PyTorch with the same model (bench/modelVariants.mjs).
if (cases.includes('models')) out.model_variants = benchModelVariants()
console.log(JSON.stringify(out, null, 2))
