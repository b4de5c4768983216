import { describe, expect, it } from 'vitest'
import { RUN_STATUSES } from '../../../../src-main/common/contract'
import {
  cancelAction,
  checkDeletable,
  checkResumable,
  isAbandoned,
  lostRunVerdict,
  RESUMABLE_STATUSES
} from '../../../../src-main/core/store/runLifecycle'

describe('runLifecycle', () => {
  it('resumes interrupted, cancelled and failed runs only, saying why not for the rest', () => {
    for (const s of RUN_STATUSES) {
      if (RESUMABLE_STATUSES.includes(s)) expect(() => checkResumable(7, s)).not.toThrow()
      else expect(() => checkResumable(7, s)).toThrow(/^run 7 cannot be resumed: /)
    }
    expect(() => checkResumable(7, 'diverged')).toThrow('lower learning rate')
    expect(() => checkResumable(7, 'completed')).toThrow('it is completed')
  })

  it('cancels a queued run at once, asks a running one to stop, and refuses a finished one', () => {
    expect(cancelAction(1, 'queued')).toBe('cancel-now')
    expect(cancelAction(1, 'running')).toBe('request')
    for (const s of ['completed', 'interrupted', 'cancelled', 'diverged', 'failed'] as const)
      expect(() => cancelAction(1, s)).toThrow(
        `run 1 is ${s}; only queued or running runs can be cancelled`
      )
  })

  it('deletes runs in every status but running', () => {
    for (const s of RUN_STATUSES) {
      if (s === 'running') expect(() => checkDeletable(3, s)).toThrow('cancel it first')
      else expect(() => checkDeletable(3, s)).not.toThrow()
    }
  })

  it('calls a run abandoned only when it is running under an owner that is gone', () => {
    const dead = () => false
    const alive = () => true
    expect(isAbandoned('running', 'h:1', dead)).toBe(true)
    expect(isAbandoned('running', 'h:1', alive)).toBe(false)
    expect(isAbandoned('queued', 'h:1', dead)).toBe(false)
  })
})

describe('lostRunVerdict', () => {
  it("interrupts a CLI run, requeues a worker's run up to the retry cap, then fails it", () => {
    expect(lostRunVerdict('interrupt', 1, 3, 'vm:1').status).toBe('interrupted')
    expect([1, 2, 3, 4].map((n) => lostRunVerdict('requeue', n, 3, 'vm:1').status)).toEqual([
      'queued',
      'queued',
      'queued',
      'failed'
    ])
    expect(lostRunVerdict('requeue', 2, 3, 'node7:42').message).toMatch(
      /its worker node7:42 was lost \(2 of 3 retries\)/
    )
    expect(lostRunVerdict('requeue', 1, 0, 'vm:1').status).toBe('failed')
  })
})
