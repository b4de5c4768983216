// The `vae-lab` CLI as the integration tests drive it: one-shot commands, and long-lived
// processes (workers) whose stderr they wait on.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import path from 'node:path'

export const BIN = path.resolve(__dirname, '../../bin/vae-lab.js')

/** A tiny, fast run: a few hundred images, a small network (each epoch takes well under a second). */
export const TINY = [
  '--limit-train',
  '400',
  '--limit-test',
  '100',
  '--hidden',
  '16',
  '--batch',
  '50'
]

export function vaeLab(args: string[], env: NodeJS.ProcessEnv = {}, timeout = 120_000) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout,
    env: { ...process.env, ...env }
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

export function vaeLabJson<T = Record<string, unknown>[]>(
  args: string[],
  env: NodeJS.ProcessEnv = {}
): T {
  const r = vaeLab([...args, '--json'], env)
  if (r.code !== 0) throw new Error(`vae-lab ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

export interface RunningCli {
  child: ChildProcess
  /** Resolves when stderr matches (from its start), rejects if the process exits first. */
  waitFor(line: RegExp, timeoutMs?: number): Promise<void>
  exited: Promise<number | null>
  stderr(): string
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } })
  let stderr = ''
  const watchers = new Set<() => void>()
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
    for (const w of watchers) w()
  })
  child.stdout?.on('data', () => {})
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    child,
    exited,
    stderr: () => stderr,
    waitFor: (line, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (line.test(stderr)) {
            watchers.delete(check)
            clearTimeout(timer)
            resolve()
          }
        }
        const timer = setTimeout(() => {
          watchers.delete(check)
          reject(new Error(`no ${line} within ${timeoutMs} ms: ${stderr}`))
        }, timeoutMs)
        watchers.add(check)
        void exited.then((code) => {
          if (!line.test(stderr)) {
            watchers.delete(check)
            clearTimeout(timer)
            reject(new Error(`exited ${code} before ${line}: ${stderr}`))
          }
        })
        check()
      })
  }
}
