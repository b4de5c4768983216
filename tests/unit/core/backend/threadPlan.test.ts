import { describe, expect, it } from 'vitest'
import {
  candidates,
  followThreadBudget,
  onBudgetThreads,
  resetThreadPlan,
  setThreadBudget,
  threadBudget,
  threadPlanState,
  threadStep,
  ThreadTuner,
  type ThreadTunerOptions
} from '../../../../src-main/core/backend/threadPlan'

/** A tuner over a fake clock where a step takes stepMs(threads) milliseconds. */
function simulate(
  budget: number,
  stepMs: (t: number) => number,
  steps: number,
  o: ThreadTunerOptions = {}
) {
  let clock = 0
  const applied: number[] = []
  const tuner = new ThreadTuner(budget, (t) => applied.push(t), { now: () => clock, ...o })
  for (let i = 0; i < steps; i++) {
    clock += stepMs(tuner.current())
    tuner.step()
  }
  return { tuner, applied }
}

describe('threadPlan', () => {
  it('gives each of the runs training at once an equal share of the cores, at least one', () => {
    expect(threadBudget(2, 1)).toBe(2)
    expect(threadBudget(2, 2)).toBe(1)
    expect(threadBudget(16, 3)).toBe(5)
    expect(threadBudget(2, 5)).toBe(1)
    expect(threadBudget(4, 0)).toBe(4)
  })

  it('tries 1, the powers of two and the budget', () => {
    expect(candidates(1)).toEqual([1])
    expect(candidates(2)).toEqual([1, 2])
    expect(candidates(6)).toEqual([1, 2, 4, 6])
    expect(candidates(8)).toEqual([1, 2, 4, 8])
  })

  it('keeps two threads when they make steps clearly faster', () => {
    const { tuner, applied } = simulate(2, (t) => (t === 2 ? 4 : 6), 200)
    expect(tuner.chosen).toBe(2)
    expect(tuner.current()).toBe(2)
    expect(applied[0]).toBe(1) // it starts on one thread
  })

  it('stays on one thread when more are not at least 5% faster (a busy machine)', () => {
    expect(simulate(2, (t) => (t === 2 ? 5.9 : 6), 200).tuner.chosen).toBe(1)
    expect(simulate(4, (t) => 6 + t, 200).tuner.chosen).toBe(1)
  })

  it('picks the fastest count, not the largest', () => {
    const ms: Record<number, number> = { 1: 8, 2: 5, 4: 4, 8: 4.5 }
    expect(simulate(8, (t) => ms[t], 400).tuner.chosen).toBe(4)
  })

  it('measures again after recheckSteps and follows a change in load', () => {
    let busy = false
    let clock = 0
    const tuner = new ThreadTuner(2, () => {}, { now: () => clock, recheckSteps: 100 })
    for (let i = 0; i < 400; i++) {
      if (i === 150) busy = true // another process takes the second core
      clock += tuner.current() === 2 ? (busy ? 9 : 4) : 6
      tuner.step()
    }
    expect(tuner.chosen).toBe(1)
  })

  it('never changes anything with a budget of one', () => {
    const { tuner, applied } = simulate(1, () => 5, 100)
    expect(applied).toEqual([1])
    expect(tuner.current()).toBe(1)
  })

  it('follows a budget another thread writes, from the next step, and starts afresh per run', () => {
    const cell = new Int32Array(new SharedArrayBuffer(4))
    const set: number[] = []
    const addon = { setThreads: (n: number) => (set.push(n), n) }
    Atomics.store(cell, 0, 2)
    followThreadBudget(cell, addon)
    threadStep()
    expect(threadPlanState().tuned).toBe(true) // budget 2: the tuner explores 1 and 2
    Atomics.store(cell, 0, 1) // a second run started
    threadStep()
    expect(threadPlanState()).toEqual({ tuned: false, threads: 1 })
    expect(set.at(-1)).toBe(1)
    const calls = set.length
    threadStep()
    expect(set.length).toBe(calls) // nothing changed: nothing applied
    resetThreadPlan()
    threadStep()
    expect(set.length).toBe(calls + 1) // a new run sets its threads again
    Atomics.store(cell, 0, 0) // never fewer than one thread
    threadStep()
    expect(set.at(-1)).toBe(1)
    followThreadBudget(new Int32Array(new SharedArrayBuffer(4)), { setThreads: (n) => n })
  })

  it('runs a test pass on the whole budget, then gives the tuner its count back', async () => {
    const set: number[] = []
    const addon = { setThreads: (n: number) => (set.push(n), n) }
    setThreadBudget(addon, 2)
    expect(threadPlanState().threads).toBe(1) // the tuner starts on one thread
    const during = await onBudgetThreads(async () => set.at(-1))
    expect(during).toBe(2)
    expect(set.at(-1)).toBe(1)
    // A failing pass restores the count too.
    await expect(
      onBudgetThreads(async () => {
        throw new Error('boom')
      })
    ).rejects.toThrow('boom')
    expect(set.at(-1)).toBe(1)
    // Budget 1 (other runs use the other cores): nothing changes.
    setThreadBudget(addon, 1)
    const calls = set.length
    expect(await onBudgetThreads(async () => 'done')).toBe('done')
    expect(set.length).toBe(calls)
  })
})
