import os from 'node:os'
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { isOwnerAlive, thisOwner } from '../../../../src-main/core/queue/owner'

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
