// Loaded by bin/vae-lab.js before the rest of the CLI: a command that trains starts its first
// training worker at once, so the worker loads tfjs and its backend on another core while this
// thread loads the CLI, opens the store and queues the runs (issue 14: start-up near zero).
import { warmTrainingPool } from '../../api/warmPool'

/** Whether `argv` (process.argv) is a command that trains here: train (not --detach), queue run, resume, worker. */
export function trainsHere(argv: readonly string[]): boolean {
  const [command, sub] = argv.slice(2)
  if (argv.includes('--help') || argv.includes('-h')) return false
  if (command === 'train') return !argv.includes('--detach')
  if (command === 'queue') return sub === 'run'
  return command === 'resume' || command === 'worker'
}

/** Whether `argv` trains on the built-in MNIST for sure: `train` without another --dataset. */
export function trainsOnMnist(argv: readonly string[]): boolean {
  if (argv[2] !== 'train' || !trainsHere(argv)) return false
  const flag = '--dataset'
  const i = argv.indexOf(flag)
  const named =
    i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1)
  return (named ?? 'mnist') === 'mnist'
}

export function prewarm(argv: readonly string[]): void {
  if (!trainsHere(argv)) return
  // `train` on MNIST: its first worker decodes it while this thread loads the CLI.
  warmTrainingPool(1, { preloadMnist: trainsOnMnist(argv) })
}
