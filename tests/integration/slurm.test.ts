// A sweep trained by a real (single-node) Slurm cluster against the test PostgreSQL: `slurm submit
// --array 2` runs every run exactly once, and `scancel` of one task mid-run sends its run back to
// the queue, to finish on the other task from its checkpoint with no epoch lost or repeated.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openRunStore } from '../../src-main/core/store/openRunStore'
import type { RunStore } from '../../src-main/core/store/runStore'
import { tempDir } from '../helpers/fixtures'
import { freshDatabase, postgresUnavailable } from '../helpers/postgres'
import { slurmUnavailable, tasksInQueue } from '../helpers/slurm'
import { TINY, vaeLab, vaeLabJson } from '../helpers/vaeLabProcess'

const missing = (await postgresUnavailable()) ?? slurmUnavailable()
const cleanups: (() => Promise<void> | void)[] = []
afterAll(async () => {
  for (const c of cleanups) await c()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
// Each wait gives up well before the test's own timeout, so a stuck cluster fails with what it
// was doing (the tasks' states and reasons, the runs, the task logs), not with a bare timeout.
const WAIT_MS = 90_000
const TEST_MS = 150_000
async function until<T>(
  what: string,
  f: () => Promise<T | undefined>,
  diagnose: () => Promise<string>
): Promise<T> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${await diagnose()}`)
    await sleep(300)
  }
}

/** What the job, its runs and its task logs say now. */
const clusterState = (jobId: string, store: RunStore, sweep: string, logs: string) => async () => {
  const squeue = spawnSync('squeue', ['-h', '-r', '-j', jobId, '-o', '%i %T %r %N'], {
    encoding: 'utf8'
  })
  const runs = await store.listRuns({ sweep })
  const taskLogs = fs
    .readdirSync(logs)
    .map((f) => `--- ${f}\n${fs.readFileSync(path.join(logs, f), 'utf8').slice(-3000)}`)
  return [
    `squeue: ${(squeue.stdout + squeue.stderr).trim() || '(no tasks)'}`,
    `runs: ${runs.map((r) => `#${r.id} ${r.status} ${r.epochsDone} epochs ${r.worker ?? ''}`).join('; ')}`,
    ...taskLogs
  ].join('\n')
}

async function setUp(sweep: string, latents: string, epochs: number) {
  const db = await freshDatabase()
  cleanups.push(db.drop)
  const queued = vaeLab([
    'train',
    '--latent',
    latents,
    '--epochs',
    String(epochs),
    ...TINY,
    '--sweep',
    sweep,
    '--db',
    db.uri,
    '--detach'
  ])
  expect(queued.code, queued.stderr).toBe(0)
  const store = await openRunStore(db.uri)
  cleanups.unshift(() => store.close())
  return { uri: db.uri, store }
}

function submit(uri: string, sweep: string, logs: string) {
  const r = vaeLab(
    [
      'slurm',
      'submit',
      '--sweep',
      sweep,
      '--array',
      '2',
      '--idle-exit',
      '3',
      '--lease',
      '10',
      '--logs',
      logs
    ],
    {
      VAE_LAB_DB: uri
    }
  )
  expect(r.code, r.stderr).toBe(0)
  const jobId = r.stdout.trim()
  expect(jobId).toMatch(/^\d+$/)
  cleanups.unshift(() => void spawnSync('scancel', [jobId]))
  return jobId
}

/** The sweep queued and submitted as a 2-task array, with what to print if a wait gets stuck. */
async function submitted(sweep: string, latents: string, epochs: number) {
  const { uri, store } = await setUp(sweep, latents, epochs)
  const logs = tempDir()
  const jobId = submit(uri, sweep, logs)
  return { uri, store, logs, jobId, state: clusterState(jobId, store, sweep, logs) }
}

const allCompleted = (store: RunStore, sweep: string) => async () => {
  const runs = await store.listRuns({ sweep })
  return runs.every((r) => r.status === 'completed') ? runs : undefined
}

describe.skipIf(missing !== null)('vae-lab on a Slurm cluster', () => {
  const EPOCHS = 30
  it(
    'trains a 4-run sweep with `slurm submit --array 2`, every run completed exactly once, with a log per task',
    async () => {
      // 30 epochs: each run trains for about 2 s, so a `slurm status` poll (a CLI start, squeue and
      // the store, a second or more on a loaded machine) finds a task holding one.
      const { uri, store, logs, jobId, state } = await submitted('slurm-four', '2,3,4,5', EPOCHS)
      const status = await until(
        'a task holding a run',
        async () => {
          const s = vaeLabJson<{ tasks: { task: string; runs: unknown[] }[] }>([
            'slurm',
            'status',
            '--job',
            jobId,
            '--db',
            uri
          ])
          return s.tasks.some((t) => t.runs.length > 0) ? s : undefined
        },
        state
      )
      expect(status.tasks.map((t) => t.task)).toEqual(
        expect.arrayContaining([expect.stringMatching(new RegExp(`^${jobId}_[01]$`))])
      )
      const runs = await until('the sweep to complete', allCompleted(store, 'slurm-four'), state)
      expect(runs.map((r) => r.epochsDone)).toEqual([EPOCHS, EPOCHS, EPOCHS, EPOCHS])
      for (const r of runs) {
        expect((await store.epochMetrics(r.id)).map((m) => m.epoch)).toEqual(
          Array.from({ length: EPOCHS }, (_, i) => i + 1)
        )
        const attempts = await store.attempts(r.id)
        expect(attempts).toHaveLength(1)
        expect(attempts[0]).toMatchObject({
          outcome: 'completed',
          worker: expect.stringMatching(new RegExp(`^slurm ${jobId}_[01]$`))
        })
      }
      const listed = vaeLabJson(['runs', 'list', '--sweep', 'slurm-four'], { VAE_LAB_DB: uri })
      expect(listed.map((r) => r.status)).toEqual([
        'completed',
        'completed',
        'completed',
        'completed'
      ])
      await until(
        'the array to end',
        async () => (tasksInQueue(jobId).length === 0 ? true : undefined),
        state
      )
      expect(fs.readdirSync(logs).sort()).toEqual([
        `vae-lab-${jobId}_0.out`,
        `vae-lab-${jobId}_1.out`
      ])
      const log = fs.readFileSync(path.join(logs, `vae-lab-${jobId}_0.out`), 'utf8')
      expect(log).toMatch(/exiting \(idle\)/)
      expect(log).not.toContain('vaelab_test:') // the store's password is in no log
    },
    TEST_MS
  )

  it(
    'sends the run of a scancelled task back to the queue, to finish on the other task from its checkpoint',
    async () => {
      const { store, logs, jobId, state } = await submitted('slurm-cancel', '2,3', 40)
      const victim = await until(
        'task 0 mid-run',
        async () => {
          const runs = await store.listRuns({ sweep: 'slurm-cancel' })
          return runs.find(
            (r) =>
              r.status === 'running' && r.epochsDone >= 2 && r.worker?.endsWith(`slurm ${jobId}_0`)
          )
        },
        state
      )
      expect(spawnSync('scancel', [`${jobId}_0`]).status).toBe(0)
      const runs = await until('the sweep to complete', allCompleted(store, 'slurm-cancel'), state)
      expect(runs.map((r) => r.epochsDone)).toEqual([40, 40])
      expect((await store.epochMetrics(victim.id)).map((m) => m.epoch)).toEqual(
        Array.from({ length: 40 }, (_, i) => i + 1)
      )
      const attempts = await store.attempts(victim.id)
      expect(attempts.map((a) => [a.worker, a.outcome])).toEqual([
        [`slurm ${jobId}_0`, 'released'],
        [`slurm ${jobId}_1`, 'completed']
      ])
      expect(attempts[1].fromEpoch).toBe(attempts[0].toEpoch)
      expect(attempts[0].toEpoch).toBeGreaterThanOrEqual(victim.epochsDone)
      expect(fs.readFileSync(path.join(logs, `vae-lab-${jobId}_0.out`), 'utf8')).toMatch(
        /SIGTERM: giving the run/
      )
    },
    TEST_MS
  )
})
