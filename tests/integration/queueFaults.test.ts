// The queue on PostgreSQL survives what clusters do to it (issue 16's fault tests): a worker
// killed -9 (its run resumes elsewhere once its lease runs out; at once when it was on this
// machine), a worker told to stop (SIGUSR1: its run goes back with its progress), two workers
// racing for one run, the server restarting mid-training, and a network partition. In each, the
// run ends completed with every epoch written exactly once.
import net from 'node:net'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openRunStore } from '../../src-main/core/store/openRunStore'
import { tempDir } from '../helpers/fixtures'
import {
  freshDatabase,
  postgresUnavailable,
  privatePostgres,
  type PrivateServer
} from '../helpers/postgres'
import { startCli, TINY, vaeLab, vaeLabJson } from '../helpers/vaeLabProcess'

const missing = await postgresUnavailable()
const cleanups: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const c of cleanups) await c()
})
async function database() {
  const db = await freshDatabase()
  cleanups.push(db.drop)
  return db.uri
}

/** Queues one tiny run of `epochs` epochs; returns its config flags (for a reference run). */
function queueOne(uri: string, epochs: number, sweep = 'faults') {
  const config = ['--latent', '2', '--epochs', String(epochs), '--seed', '4', ...TINY]
  const r = vaeLab(['train', ...config, '--sweep', sweep, '--db', uri, '--detach'])
  if (r.code !== 0) throw new Error(r.stderr)
  return config
}

/** The run's status, the epochs stored (each once?), and its attempts. */
async function inspect(uri: string, runId = 1) {
  const store = await openRunStore(uri)
  try {
    const run = await store.requireRun(runId)
    const epochs = (await store.epochMetrics(runId)).map((m) => m.epoch)
    return {
      run,
      epochs,
      attempts: await store.attempts(runId),
      checkpoint: await store.checkpoint(runId, 'latest'),
      final: await store.checkpoint(runId, 'final')
    }
  } finally {
    await store.close()
  }
}
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

describe.skipIf(missing !== null)('the queue on PostgreSQL when workers and servers fail', () => {
  it('resumes a run on another machine once the lease of its killed (-9) worker runs out, ending with the numbers of an uninterrupted run', async () => {
    const uri = await database()
    const config = queueOne(uri, 12)
    const a = startCli(['worker', '--db', uri, '--lease', '3'], { VAE_LAB_HOSTNAME: 'node-a' })
    await a.waitFor(/epoch 3 /)
    a.child.kill('SIGKILL')
    await a.exited
    const b = startCli(
      ['worker', '--db', uri, '--lease', '3', '--idle-exit', '20', '--max-runs', '1'],
      {
        VAE_LAB_HOSTNAME: 'node-b'
      }
    )
    expect(await b.exited).toBe(0)
    expect(b.stderr()).toMatch(/requeued 1;/)
    const { run, epochs, attempts } = await inspect(uri)
    expect(run).toMatchObject({ status: 'completed', epochsDone: 12 })
    expect(epochs).toEqual(oneTo(12))
    expect(attempts).toMatchObject([
      { attempt: 1, owner: expect.stringMatching(/^node-a:/), outcome: 'lost' },
      { attempt: 2, owner: expect.stringMatching(/^node-b:/), outcome: 'completed', toEpoch: 12 }
    ])
    expect(attempts[1].fromEpoch).toBe(attempts[0].toEpoch)
    expect(attempts[0].toEpoch).toBeGreaterThanOrEqual(3)

    const [reference] = vaeLabJson(['train', ...config, '--db', path.join(tempDir(), 'ref.sqlite')])
    const [resumed] = vaeLabJson(['runs', 'list', '--db', uri])
    expect(resumed.test_nelbo).toBe(reference.test_nelbo)
    expect(resumed.train_nelbo).toBe(reference.train_nelbo)
  })

  it('takes the run of a killed worker on this machine at once, without waiting for its lease (host:pid)', async () => {
    const uri = await database()
    queueOne(uri, 8)
    const a = startCli(['worker', '--db', uri, '--lease', '600'])
    await a.waitFor(/epoch 2 /)
    a.child.kill('SIGKILL')
    await a.exited
    const b = startCli(['worker', '--db', uri, '--lease', '600', '--idle-exit', '0'])
    expect(await b.exited).toBe(0)
    const { run, epochs, attempts } = await inspect(uri)
    expect(run.status).toBe('completed')
    expect(epochs).toEqual(oneTo(8))
    expect(attempts.map((a) => a.outcome)).toEqual(['lost', 'completed'])
  })

  it('gives its run back on SIGUSR1 with the epochs done, exits 0 quickly, and the next worker continues from the checkpoint', async () => {
    const uri = await database()
    queueOne(uri, 40)
    const a = startCli(['worker', '--db', uri, '--lease', '5'])
    await a.waitFor(/epoch 2 /)
    const signalled = Date.now()
    a.child.kill('SIGUSR1')
    expect(await a.exited).toBe(0)
    expect(Date.now() - signalled).toBeLessThan(15_000)
    const released = await inspect(uri)
    expect(released.run.status).toBe('queued')
    expect(released.run.epochsDone).toBeGreaterThanOrEqual(2)
    expect(released.checkpoint?.epoch).toBe(released.run.epochsDone)
    expect(released.attempts).toMatchObject([
      { outcome: 'released', toEpoch: released.run.epochsDone }
    ])

    const b = startCli(['worker', '--db', uri, '--lease', '5'])
    expect(await b.exited).toBe(0)
    expect(b.stderr()).toContain(`after epoch ${released.run.epochsDone}`)
    const { run, epochs, attempts } = await inspect(uri)
    expect(run.status).toBe('completed')
    expect(epochs).toEqual(oneTo(40))
    expect(attempts.map((a) => [a.outcome, a.fromEpoch])).toEqual([
      ['released', 0],
      ['completed', released.run.epochsDone]
    ])
  })

  it('gives one queued run to exactly one of two workers that race for it', async () => {
    const uri = await database()
    queueOne(uri, 2)
    const workers = [startCli(['worker', '--db', uri]), startCli(['worker', '--db', uri])]
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0])
    const claimed = workers.filter((w) => /claimed run 1/.test(w.stderr()))
    expect(claimed).toHaveLength(1)
    const { run, attempts } = await inspect(uri)
    expect(run.status).toBe('completed')
    expect(attempts).toHaveLength(1)
  })

  it('stops a partitioned worker that lost its lease: another finishes the run, and nothing the first writes later lands', async () => {
    const uri = await database()
    queueOne(uri, 30)
    const cut = await partitionable(new URL(uri))
    cleanups.push(cut.close)
    const a = startCli(['worker', '--db', cut.uri, '--lease', '3'], { VAE_LAB_HOSTNAME: 'node-a' })
    await a.waitFor(/epoch 2 /)
    cut.partition(9000) // longer than the lease
    const b = startCli(
      ['worker', '--db', uri, '--lease', '3', '--idle-exit', '20', '--max-runs', '1'],
      {
        VAE_LAB_HOSTNAME: 'node-b'
      }
    )
    expect(await b.exited).toBe(0)
    expect(await a.exited).toBe(0)
    expect(a.stderr()).toMatch(/its lease was taken over|could not renew its lease/)
    const { run, epochs, attempts, final } = await inspect(uri)
    expect(run.status).toBe('completed')
    expect(epochs).toEqual(oneTo(30))
    expect(final?.epoch).toBe(30)
    expect(attempts.map((a) => [a.owner.split(':')[0], a.outcome])).toEqual([
      ['node-a', 'lost'],
      ['node-b', 'completed']
    ])
    expect(attempts[1].fromEpoch).toBe(attempts[0].toEpoch)
  })
})

let server: PrivateServer | string = 'not started'
describe('the queue when its PostgreSQL server restarts', async () => {
  if (missing === null) server = await privatePostgres()
  const skip = typeof server === 'string' ? server : null
  afterAll(async () => {
    if (typeof server !== 'string') await server.stop()
  })

  it.skipIf(skip !== null)(
    'reconnects and finishes the run, writing every epoch exactly once',
    async () => {
      const s = server as PrivateServer
      queueOne(s.uri, 30)
      const worker = startCli(['worker', '--db', s.uri, '--lease', '10'])
      await worker.waitFor(/epoch 3 /)
      await s.restart()
      // The restart came in the middle of the run, not after it.
      expect(worker.stderr().match(/run 1: epoch \d+ /g)?.length ?? 0).toBeLessThan(30)
      expect(await worker.exited).toBe(0)
      const { run, epochs, attempts } = await inspect(s.uri)
      expect(run.status).toBe('completed')
      expect(epochs).toEqual(oneTo(30))
      expect(attempts.map((a) => a.outcome)).toEqual(['completed'])
    }
  )
})

/**
 * A TCP proxy in front of the server: `partition(ms)` cuts every connection through it and
 * refuses new ones for that long, as a network partition would look to the worker behind it.
 */
async function partitionable(target: URL) {
  const open = new Set<net.Socket>()
  let downUntil = 0
  const proxy = net.createServer((client) => {
    if (Date.now() < downUntil) return client.destroy()
    const upstream = net.connect(Number(target.port), target.hostname)
    for (const s of [client, upstream]) {
      open.add(s)
      s.on('close', () => open.delete(s))
      s.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const via = new URL(target.toString())
  via.port = String((proxy.address() as net.AddressInfo).port)
  return {
    uri: via.toString(),
    partition: (ms: number) => {
      downUntil = Date.now() + ms
      for (const s of open) s.destroy()
    },
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve()))
  }
}
