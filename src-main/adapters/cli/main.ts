// The `vae-lab` command: a thin adapter over VaeLabService. Exit codes: 0 ok, 2 bad input or
// data, 1 unexpected, 130 interrupted (style.md section 9).
import { Command, CommanderError } from 'commander'
import type { Io } from './cliSupport'
import { EXIT_BAD_INPUT, EXIT_CODE_OF, EXIT_OK, EXIT_UNEXPECTED } from './exitCodes'
import { FLAG_OF } from './parseOptions'
import { registerExportCommand } from './exportCommand'
import { registerRunsCommands } from './runsCommands'
import { registerServeCommand } from './serveCommand'
import { registerSlurmCommands } from './slurmCommands'
import { registerToolCommands } from './toolCommands'
import { registerTrainCommands } from './trainCommands'
import { registerWorkerCommand } from './workerCommand'
import { isVaeLabError, type VaeLabError } from '../../api/runtime'

export function buildProgram(io: Io): Command {
  const program = new Command('vae-lab')
    .description(
      'VAE Lab: train, evaluate and compare variational autoencoders (Kingma & Welling, 2013) on MNIST.'
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride() // subcommands made after this inherit it and the output routing
  registerTrainCommands(program, io)
  registerRunsCommands(program, io)
  registerToolCommands(program, io)
  registerExportCommand(program, io)
  registerServeCommand(program, io)
  registerWorkerCommand(program, io)
  registerSlurmCommands(program, io)
  return program
}

function describeError(e: VaeLabError): string {
  // A nested field (grid.latentDim) is named by its last part when that has a flag.
  const last = e.field?.split('.').pop() ?? ''
  const flag = e.field ? (FLAG_OF[e.field] ?? FLAG_OF[last] ?? `--${e.field}`) : null
  return flag ? `${flag}: ${e.message}` : e.message
}

export async function main(
  argv: string[],
  streams = { stdout: process.stdout, stderr: process.stderr }
): Promise<number> {
  let exit = EXIT_OK
  const program = buildProgram({ ...streams, setExit: (code) => (exit = code) })
  try {
    await program.parseAsync(argv)
    return exit
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.exitCode === 0
      )
        return EXIT_OK
      return EXIT_BAD_INPUT // commander already printed what was wrong
    }
    if (isVaeLabError(e)) {
      streams.stderr.write(`vae-lab: ${describeError(e)}\n`)
      return EXIT_CODE_OF[e.code]
    }
    streams.stderr.write(
      `vae-lab: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`
    )
    return EXIT_UNEXPECTED
  }
}
