import os from 'node:os'
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { isOwnerAlive, schedulerLabel, thisOwner } from '../../../../src-main/core/queue/owner'

describe('isOwnerAlive', () => {
  it('knows this process is alive and a finished one is not', () => {
    expect(isOwnerAlive(thisOwner())).toBe(true)
    const done = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8'
    })
    expect(isOwnerAlive(`${os.hostname()}:${done.stdout}`)).toBe(false)
  })

  it('treats a missing owner as gone and another host as alive (it cannot be checked)', () => {
    expect(isOwnerAlive(null)).toBe(false)
    expect(isOwnerAlive('some-other-host:1')).toBe(true)
    expect(isOwnerAlive(`${os.hostname()}:not-a-pid`)).toBe(false)
  })
})

describe('thisOwner and schedulerLabel', () => {
  it('takes the host name from VAE_LAB_HOSTNAME when it is set', () => {
    expect(thisOwner({ VAE_LAB_HOSTNAME: 'node-a' })).toBe(`node-a:${process.pid}`)
    expect(thisOwner({})).toBe(`${os.hostname()}:${process.pid}`)
  })

  it('names Slurm array tasks and Kubernetes Indexed Job pods', () => {
    expect(
      schedulerLabel({ SLURM_ARRAY_JOB_ID: '12', SLURM_ARRAY_TASK_ID: '3', SLURM_JOB_ID: '15' })
    ).toBe('slurm 12_3')
    expect(schedulerLabel({ SLURM_JOB_ID: '15' })).toBe('slurm 15')
    expect(schedulerLabel({ JOB_COMPLETION_INDEX: '2', HOSTNAME: 'vae-lab-workers-2-abc' })).toBe(
      'k8s vae-lab-workers-2-abc (index 2)'
    )
    expect(schedulerLabel({})).toBeNull()
  })
})
