// `vae-lab serve`: the workbench in a browser, on 127.0.0.1 with a per-launch token.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { Command } from 'commander'
import { VaeLabService } from '../../api/service'
import { startServer } from '../http/server'
import { dbOption, parseWorkers, type Io } from './cliSupport'
import { toNumber } from './parseOptions'
import { validate } from '../../common/validate'
import { WorkersSchema } from '../../common/workbenchContract'
import { openRunStore, repoRoot, VaeLabError } from '../../api/runtime'

/** The built UI (electron-vite's renderer output). */
export function rendererDir(): string {
  return path.join(repoRoot(), 'out', 'renderer')
}

/** Best effort: a desktop's default browser, if there is one. */
function openBrowser(url: string): boolean {
  const cmd =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open'
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url]
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)
    return false
  try {
    spawn(cmd, args, { stdio: 'ignore', detached: true })
      .on('error', () => {})
      .unref()
    return true
  } catch {
    return false
  }
}

/** Ctrl-C arrives twice within moments under `npm start`: from the terminal and forwarded by npm. */
const ECHO_MS = 2000

/**
 * Resolves on the first SIGINT or SIGTERM. Echoes of it are ignored (a second, default, SIGINT
 * would kill the process before the runs in training are requeued); a later one stops at once.
 */
function untilStopSignal(io: Io): Promise<void> {
  return new Promise<void>((resolve) => {
    let first = 0
    const onSignal = () => {
      if (first === 0) {
        first = Date.now()
        return resolve()
      }
      if (Date.now() - first < ECHO_MS) return
      io.stderr.write(
        'vae-lab: stopped at once; runs still in training are marked interrupted at the next start (`vae-lab resume RUN` continues them)\n'
      )
      process.exit(130)
    }
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
  })
}

export function registerServeCommand(program: Command, io: Io): void {
  program
    .command('serve')
    .description(
      'open the workbench in a browser: the UI on 127.0.0.1 with a per-launch token; queued runs train meanwhile'
    )
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)', '0')
    .option('--workers <n>', 'runs trained at once (default: one per core)')
    .option('--no-open', 'do not open a browser')
    .addOption(dbOption())
    .action(async (f: { port: string; workers?: string; open: boolean; db?: string }) => {
      const port = toNumber(f.port)
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new VaeLabError('INVALID_INPUT', 'must be a whole number from 0 to 65535', {
          field: 'port'
        })
      const workers = parseWorkers(f.workers)
      if (workers !== undefined) validate(WorkersSchema, workers, 'workers')
      const store = await openRunStore(f.db)
      const workbench = new VaeLabService(store, workers)
      await workbench.ready()
      // Backend probes load native modules synchronously (~70-100 ms, once): before anyone waits.
      await workbench.api.backends()
      let server
      try {
        server = await startServer(workbench, { port, rendererDir: rendererDir() })
      } catch (e) {
        await store.close()
        const code = (e as NodeJS.ErrnoException).code
        if (code === 'EADDRINUSE')
          throw new VaeLabError(
            'INVALID_INPUT',
            `port ${port} is in use; choose another with --port, or 0 for any free one`,
            { field: 'port' }
          )
        throw new VaeLabError('INVALID_INPUT', (e as Error).message)
      }
      workbench.start()
      io.stdout.write(`VAE Lab is at ${server.url}\n`)
      if (f.open && !openBrowser(server.url))
        io.stderr.write('vae-lab: no browser to open here; open the URL above in one\n')
      io.stderr.write(
        'Ctrl-C stops the server (runs in training go back to the queue and continue at the next start)\n'
      )
      await untilStopSignal(io)
      io.stderr.write('vae-lab: stopping: runs in training go back to the queue...\n')
      // In this order: every run's status is written before the store closes.
      await workbench.stop()
      await server.close()
      await store.close()
      io.stderr.write('vae-lab: stopped\n')
    })
}
