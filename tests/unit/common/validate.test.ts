import { describe, expect, it } from 'vitest'
import { VaeLabError } from '../../../src-main/common/errors'
import {
  errorAnswer,
  errorFromPayload,
  errorPayload,
  validateArgs
} from '../../../src-main/common/validate'

const thrown = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return e as VaeLabError
  }
  throw new Error('expected a throw')
}

describe('validateArgs', () => {
  it('names a bad scalar argument by its parameter, and says where it sat for IPC and HTTP', () => {
    const e = thrown(() => validateArgs('tagRun', [1, 'no spaces allowed']))
    expect(e).toMatchObject({ code: 'INVALID_INPUT', field: 'tag' })
    expect(errorAnswer(e)).toEqual({
      ok: false,
      error: {
        code: 'INVALID_INPUT',
        message: 'tagRun: 1: a tag is 1-64 letters, digits or _ . : -',
        field: 'tag'
      }
    })
  })

  it('names a field of an object argument by its own path', () => {
    const e = thrown(() => validateArgs('queueSweep', [{ base: {}, grid: { latentDim: [0] } }]))
    expect(e.field).toBe('latentDim')
    expect(errorAnswer(e).error.message).toBe(
      'queueSweep: 0.latentDim: latent dim must be at least 1'
    )
  })

  it('returns the parsed arguments, transformed as the schemas say', () => {
    expect(validateArgs('renameRun', [3, '  best  '])).toEqual([3, 'best'])
  })
})

describe('error payloads', () => {
  it('carry code, message and field through a worker message and back', () => {
    const e = new VaeLabError('NOT_FOUND', 'no run 9', { field: 'runId' })
    expect(errorFromPayload(errorPayload(e))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no run 9',
      field: 'runId'
    })
    expect(errorPayload(new Error('boom'))).toEqual({ code: 'INTERNAL', message: 'boom' })
    expect(errorAnswer(e).error.message).toBe('runId: no run 9')
  })
})
