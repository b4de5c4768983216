// How many cores one training run's native kernels use (issue 14). A run may use the cores the
// other runs leave idle (threadBudget: the queue knows how many train at once); within that budget
// a tuner times the run's own steps and keeps more threads only while they are measurably faster,
// because on a shared machine "idle" cores often are not. The add-on's threads never change the
// numbers (parallel.c cuts GEMMs into panels), so tuning cannot make a run irreproducible.
import os from 'node:os'

/** Threads one run may use when `runs` train at once on `cores` cores (at least 1). */
export function threadBudget(cores: number, runs: number): number {
  return Math.max(1, Math.floor(cores / Math.max(1, runs)))
}

/** The cores this process may use. */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length
}

export interface ThreadTunerOptions {
  /** Timed steps per candidate and round. */
  blockSteps?: number
  /** Steps run (untimed) after each switch, while caches and the pool settle. */
  settleSteps?: number
  /** Rounds over the candidates; the median of each candidate's rounds decides. */
  rounds?: number
  /** More threads must be at least this much faster (fraction of 1-thread time) to be kept. */
  minGain?: number
  /** Steps between re-measurements (the machine's load changes). */
  recheckSteps?: number
  now?: () => number
}

/** Thread counts worth trying under a budget: 1, powers of two, and the budget itself. */
export function candidates(budget: number): number[] {
  const list = [1]
  for (let t = 2; t < budget; t *= 2) list.push(t)
  if (budget > 1) list.push(budget)
  return list
}

/**
 * Picks the fastest thread count for the steps of one run by timing them, then re-checks now and
 * then. Call step() once per training step; it calls apply(threads) whenever the count changes.
 */
export class ThreadTuner {
  private readonly list: number[]
  private readonly o: Required<Omit<ThreadTunerOptions, 'now'>>
  private readonly now: () => number
  private readonly times = new Map<number, number[]>()
  private phase: 'explore' | 'exploit' = 'explore'
  private slot = 0 // explore: index into the schedule below
  private stepInSlot = 0
  private started = 0
  private chosenThreads = 1

  constructor(
    budget: number,
    private readonly apply: (threads: number) => void,
    options: ThreadTunerOptions = {}
  ) {
    this.list = candidates(Math.max(1, Math.floor(budget)))
    this.o = {
      blockSteps: options.blockSteps ?? 10,
      settleSteps: options.settleSteps ?? 2,
      rounds: options.rounds ?? 3,
      minGain: options.minGain ?? 0.05,
      recheckSteps: options.recheckSteps ?? 1000
    }
    this.now = options.now ?? (() => performance.now())
    if (this.list.length === 1) this.phase = 'exploit'
    this.apply(this.current())
  }

  /** The thread count in use now. */
  current(): number {
    if (this.phase === 'exploit') return this.chosenThreads
    return this.list[this.slot % this.list.length]
  }

  /** The count the last measurement chose (1 until one finished). */
  get chosen(): number {
    return this.chosenThreads
  }

  step(): void {
    if (this.list.length === 1) return
    this.stepInSlot++
    if (this.phase === 'exploit') {
      if (this.stepInSlot >= this.o.recheckSteps) {
        this.startExploring()
        this.apply(this.current())
      }
      return
    }
    if (this.stepInSlot === this.o.settleSteps) this.started = this.now()
    if (this.stepInSlot < this.o.settleSteps + this.o.blockSteps) return
    const threads = this.current()
    const perStep = (this.now() - this.started) / this.o.blockSteps
    this.times.set(threads, [...(this.times.get(threads) ?? []), perStep])
    this.slot++
    this.stepInSlot = 0
    if (this.slot === this.list.length * this.o.rounds) this.decide()
    this.apply(this.current())
  }

  private decide(): void {
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]
    const one = median(this.times.get(1) ?? [Infinity])
    let best = 1
    let bestTime = one
    for (const t of this.list) {
      const m = median(this.times.get(t) ?? [Infinity])
      if (m < bestTime && m <= one * (1 - this.o.minGain)) {
        best = t
        bestTime = m
      }
    }
    this.chosenThreads = best
    this.phase = 'exploit'
  }

  private startExploring(): void {
    this.phase = 'explore'
    this.slot = 0
    this.stepInSlot = 0
    this.times.clear()
  }
}

interface ThreadControl {
  setThreads(n: number): number
}

// The tuner of this thread's run (module state is per worker thread, like the run itself).
let active: ThreadTuner | null = null
// The add-on and budget the tuner works within (for onBudgetThreads).
let control: ThreadControl | null = null
let budgetNow = 1

/**
 * Lets this worker's run use up to `budget` threads, tuned by timing its steps (budget 1: one
 * thread, no tuning). The queue calls it with threadBudget(cores, running runs) as runs start and
 * finish; the add-on's pool is process-wide, so all runs of a process should get the same budget.
 * Returns the threads in use now.
 */
export function setThreadBudget(
  addon: ThreadControl,
  budget: number,
  options: ThreadTunerOptions = {}
): number {
  let threads = 1
  control = addon
  budgetNow = Math.max(1, Math.floor(budget))
  active =
    budget > 1
      ? new ThreadTuner(budget, (t) => (threads = addon.setThreads(t)), options)
      : ((threads = addon.setThreads(1)), null)
  return threads
}

// A pool worker follows the budget its pool writes into shared memory as runs start and finish
// (read at every step: a message would wait until the run's loop yields, an epoch later).
let followed: { cell: Int32Array; addon: ThreadControl; budget: number } | null = null

/**
 * Makes this worker's runs use the budget in `cell` (Int32 [threads]), which another thread may
 * change at any time: a change takes effect at the next step, with a fresh tuner. 0 or less: 1.
 */
export function followThreadBudget(cell: Int32Array, addon: ThreadControl): void {
  followed = { cell, addon, budget: -1 }
}

/** A new run starts on this worker: its tuner measures afresh (another model, another load). */
export function resetThreadPlan(): void {
  if (followed) followed.budget = -1
  active = null
}

/** One training step finished (the fused optimiser calls it): the tuner's clock. */
export function threadStep(): void {
  if (followed) {
    const budget = Math.max(1, Atomics.load(followed.cell, 0))
    if (budget !== followed.budget) {
      followed.budget = budget
      setThreadBudget(followed.addon, budget)
      return
    }
  }
  active?.step()
}

/**
 * Runs `body` on every thread of this run's budget, then gives the tuner its count back. For the
 * test passes: their GEMMs have 500 rows, five times a training step's, and the epoch's test pass
 * ran 1.23x faster on two threads (0.17 -> 0.14 s) where training steps often gain nothing. The
 * budget counts only cores no other run of this process uses; the numbers do not depend on it.
 */
export async function onBudgetThreads<T>(body: () => Promise<T>): Promise<T> {
  const addon = control
  if (addon === null || budgetNow <= 1) return body()
  addon.setThreads(budgetNow)
  try {
    return await body()
  } finally {
    addon.setThreads(active ? active.current() : 1)
  }
}

/** This worker's budget and the count its tuner chose (diagnostics, benchmarks). */
export function threadPlanState(): { tuned: boolean; threads: number } {
  return { tuned: active !== null, threads: active ? active.current() : 1 }
}
