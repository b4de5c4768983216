import { describe, expect, it } from 'vitest'
import {
  jobName,
  parseArraySpec,
  sbatchScript,
  shellQuote,
  taskOfWorker
} from '../../../../src-main/core/queue/slurmJob'

const options = {
  sweep: "paper's sweep",
  array: { tasks: 8, concurrent: 2 },
  partition: 'gpu',
  time: '2:00:00',
  gpus: 1,
  logs: '/scratch/me/logs',
  command: ['/usr/bin/node', '/opt/vae-lab/bin/vae-lab.js'],
  leaseSeconds: 60,
  idleExitSeconds: 60,
  warnSeconds: 120
}

describe('sbatchScript', () => {
  const script = sbatchScript(options)
  const directives = script.split('\n').filter((l) => l.startsWith('#SBATCH'))

  it('asks for an array of N workers, M at once, warned with USR1 before the limit and requeueable', () => {
    expect(directives).toEqual(
      expect.arrayContaining([
        '#SBATCH --array=0-7%2',
        '#SBATCH --signal=B:USR1@120',
        '#SBATCH --requeue',
        '#SBATCH --partition=gpu',
        '#SBATCH --time=2:00:00',
        '#SBATCH --gpus=1',
        '#SBATCH --export=ALL',
        '#SBATCH --output=/scratch/me/logs/vae-lab-%A_%a.out'
      ])
    )
    expect(sbatchScript({ ...options, array: { tasks: 2 } })).toContain('#SBATCH --array=0-1\n')
  })

  it('runs the worker on the sweep with srun, forwarding USR1, and never names the store', () => {
    expect(script).toContain(
      "srun --ntasks=1 /usr/bin/node /opt/vae-lab/bin/vae-lab.js worker --sweep 'paper'\\''s sweep' --lease 60 --idle-exit 60 &"
    )
    expect(script).toMatch(/trap 'kill -s USR1 "\$worker"/)
    expect(script).toContain('${VAE_LAB_DB:?')
    expect(script).not.toMatch(/postgres:\/\/\w+:/)
  })

  it('names the job after the sweep in a form sbatch takes', () => {
    expect(jobName("paper's sweep")).toBe('vae-lab:paper_s_sweep')
    expect(directives).toContain('#SBATCH --job-name=vae-lab:paper_s_sweep')
  })
})

describe('parseArraySpec', () => {
  it('reads N and N%M, and refuses anything else', () => {
    expect(parseArraySpec('4')).toEqual({ tasks: 4, concurrent: undefined })
    expect(parseArraySpec('16%4')).toEqual({ tasks: 16, concurrent: 4 })
    for (const bad of ['0', '-1', 'x', '4%0', '2.5', ''])
      expect(() => parseArraySpec(bad), bad).toThrow(/not an array size/)
  })
})

describe('shellQuote and taskOfWorker', () => {
  it('quotes words for bash only when needed', () => {
    expect(shellQuote('plain-word_1.5')).toBe('plain-word_1.5')
    expect(shellQuote('two words')).toBe("'two words'")
    expect(shellQuote("it's")).toBe("'it'\\''s'")
  })

  it("finds the Slurm task in a run's worker label", () => {
    expect(taskOfWorker('node7:4242 slurm 1234_5')).toBe('1234_5')
    expect(taskOfWorker('laptop:99')).toBeNull()
    expect(taskOfWorker(null)).toBeNull()
  })
})
