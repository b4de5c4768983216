import os from 'node:os'

/**
 * This machine's name as owners record it. VAE_LAB_HOSTNAME overrides it where machines share one
 * name (containers started alike; tests that play two machines on one).
 */
export function thisHost(env: NodeJS.ProcessEnv = process.env): string {
  return env.VAE_LAB_HOSTNAME || os.hostname()
}

/** "host:pid" of this process: written on every run it trains. */
export function thisOwner(env: NodeJS.ProcessEnv = process.env): string {
  return `${thisHost(env)}:${process.pid}`
}

/**
 * Whether the process that claimed a run still exists. Another host's process cannot be checked
 * and counts as alive (its lease tells when it is gone); a run with no owner was left by an older
 * version.
 */
export function isOwnerAlive(owner: string | null, host = thisHost()): boolean {
  if (!owner) return false
  const at = owner.lastIndexOf(':')
  const pid = Number(owner.slice(at + 1))
  if (owner.slice(0, at) !== host) return true
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * What the scheduler calls this process, shown beside its runs: "slurm 1234_5" for a Slurm array
 * task, "k8s POD (index N)" for a Kubernetes Indexed Job's pod; null elsewhere.
 */
export function schedulerLabel(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID)
    return `slurm ${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}`
  if (env.SLURM_JOB_ID) return `slurm ${env.SLURM_JOB_ID}`
  if (env.JOB_COMPLETION_INDEX !== undefined)
    return `k8s ${env.HOSTNAME ?? 'pod'} (index ${env.JOB_COMPLETION_INDEX})`
  return null
}
