import os from 'node:os'

/** "host:pid" of this process: written on every run it trains. */
export function thisOwner(): string {
  return `${os.hostname()}:${process.pid}`
}

/**
 * Whether the process that claimed a run still exists. Another host's process cannot be checked
 * and counts as alive (never steal a run); a run with no owner was left by an older version.
 */
export function isOwnerAlive(owner: string | null, host = os.hostname()): boolean {
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
