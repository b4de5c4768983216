// One `vae-lab serve` on a fresh database in a temporary folder, for the browser-mode flows.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const ROOT = path.resolve(__dirname, '../..')
export const SHOTS = path.join(ROOT, 'test-results', 'screenshots')

export interface Served {
  url: string
  dir: string
  stop(): Promise<void>
}

export function built(): boolean {
  return (
    fs.existsSync(path.join(ROOT, 'out', 'renderer', 'index.html')) &&
    fs.existsSync(path.join(ROOT, 'out', 'node'))
  )
}

export async function serve(workers = 2): Promise<Served> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-e2e-'))
  const server: ChildProcess = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'vae-lab.js'),
      'serve',
      '--no-open',
      '--port',
      '0',
      '--workers',
      String(workers),
      '--db',
      path.join(dir, 'runs.sqlite')
    ],
    // HOME is the temporary folder: the UI's relative export folders land there.
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir } }
  )
  let err = ''
  server.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(
      () => reject(new Error(`vae-lab serve printed no URL within 30 s; stderr: ${err}`)),
      30_000
    )
    server.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /VAE Lab is at (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    server.once('exit', (code) => reject(new Error(`vae-lab serve exited with ${code}: ${err}`)))
  })
  return {
    url,
    dir,
    async stop() {
      if (server.exitCode === null) {
        server.kill('SIGTERM')
        await new Promise((r) => server.once('exit', r))
      }
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** Trains runs through the CLI into the served database; returns them as `train --json` prints them. */
export function trainInto<T extends { id: number }>(app: Served, args: string[]): T[] {
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'vae-lab.js'),
      'train',
      ...args,
      '--json',
      '--db',
      path.join(app.dir, 'runs.sqlite')
    ],
    { encoding: 'utf8', timeout: 120_000 }
  )
  if (r.status !== 0) throw new Error(`training failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as T[]
}

/** A served workbench for a spec of its own, after checking the app is built. */
export async function serveBuilt(workers = 1): Promise<Served> {
  if (!built()) throw new Error('the app is not built: run `npm run build` first')
  fs.mkdirSync(SHOTS, { recursive: true })
  return serve(workers)
}
