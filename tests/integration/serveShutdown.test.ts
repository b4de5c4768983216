// Ctrl-C on `vae-lab serve` does what it prints (issue 13, item 2; issue 12, finding 6): runs in
// training go back to the queue with their checkpoints and continue at the next start. Under
// `npm start` the signal arrives twice (from the terminal and forwarded by npm): the echo must not
// kill the server half-way.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/fixtures'

const BIN = path.resolve(__dirname, '../../bin/vae-lab.js')
const children: ChildProcess[] = []
afterEach(() => children.splice(0).forEach((c) => c.exitCode === null && c.kill('SIGKILL')))

function serve(db: string) {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--no-open', '--port', '0', '--workers', '1', '--db', db],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  )
  children.push(child)
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code))
  )
  return { child, exited, stderr: () => stderr }
}

function read<T>(db: string, sql: string): T {
  const conn = new Database(db, { readonly: true, timeout: 5000 })
  try {
    return conn.prepare(sql).get() as T
  } finally {
    conn.close()
  }
}

async function until(check: () => boolean, what: string, ms = 90_000) {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const run = (db: string) =>
  read<{ status: string; resumes: number; owner: string | null }>(
    db,
    'SELECT status, resumes, owner FROM runs WHERE id = 1'
  )
const epochs = (db: string) =>
  read<{ n: number }>(db, 'SELECT count(*) AS n FROM epoch_metrics WHERE run_id = 1').n

describe('vae-lab serve on Ctrl-C', () => {
  it('requeues the run in training with its checkpoint, even when the signal comes twice, and the next start continues it', async () => {
    const db = path.join(tempDir(), 'runs.sqlite')
    const small = ['--limit-train', '3000', '--limit-test', '500', '--hidden', '64']
    const queued = spawnSync(
      process.execPath,
      [BIN, 'train', '--latent', '2', '--epochs', '6', ...small, '--detach', '--db', db],
      { encoding: 'utf8' }
    )
    expect(queued.status).toBe(0)

    const first = serve(db)
    await until(() => epochs(db) >= 1, 'epoch 1')
    first.child.kill('SIGINT')
    first.child.kill('SIGINT') // npm start's echo
    expect(await first.exited).toBe(0)
    expect(first.stderr()).toContain('vae-lab: stopped')
    const stopped = run(db)
    expect(stopped).toMatchObject({ status: 'queued', resumes: 1, owner: null })
    const kept = epochs(db)
    expect(kept).toBeGreaterThanOrEqual(1)
    expect(kept).toBeLessThan(6)

    const second = serve(db)
    await until(() => run(db).status === 'completed', 'the run to complete after the restart')
    expect(epochs(db)).toBe(6)
    second.child.kill('SIGINT')
    expect(await second.exited).toBe(0)
  })
})
