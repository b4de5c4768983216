// The Slurm cluster the tests use: the single-node one scripts/ci/start-slurm.sh starts. Without
// one the Slurm tests skip, saying why; CI sets VAE_LAB_REQUIRE_SLURM=1, and there they fail.
import { spawnSync } from 'node:child_process'

export const REQUIRE_SLURM = process.env.VAE_LAB_REQUIRE_SLURM === '1'

/** Why the Slurm tests cannot run here, or null when they can (throws in CI). */
export function slurmUnavailable(): string | null {
  const r = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 })
  const up = r.status === 0 && /^(idle|mixed|allocated)/m.test(r.stdout)
  if (up) return null
  const why = r.error
    ? `sinfo is not installed (${r.error.message})`
    : `no Slurm node is up (${(r.stderr || r.stdout).trim().split('\n').pop()})`
  const reason = `${why}; start one with scripts/ci/start-slurm.sh`
  if (REQUIRE_SLURM) throw new Error(`VAE_LAB_REQUIRE_SLURM=1 but ${reason}`)
  console.warn(`Slurm tests skipped: ${reason}`)
  return reason
}

/** The job's array tasks still in squeue ("12_0", ...). */
export function tasksInQueue(jobId: string): string[] {
  const r = spawnSync('squeue', ['-h', '-r', '-j', jobId, '-o', '%i'], { encoding: 'utf8' })
  return r.stdout.split('\n').filter((l) => l.trim())
}
