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
  it('refuses arguments nested 5,000 deep or holding 100,000 values before any schema walks them (found by the api fuzz)', () => {
    let deep: unknown = 1
    for (let i = 0; i < 5000; i++) deep = [deep]
    const nested = thrown(() => validateArgs('exportFigures', [{ runIds: [1], figures: deep }]))
    expect(nested.code).toBe('INVALID_INPUT')
    expect(errorAnswer(nested).error.message).toBe(
      'exportFigures: the arguments nest deeper than 32 levels'
    )
    // The message is the size check's, not a schema's: it refused before zod made one issue per item
    // (speed itself is for benchmarks, not timed tests).
    const many = thrown(() =>
      validateArgs('figureInputs', [
        { runIds: [1], figures: Array.from({ length: 100_000 }, (_, i) => i) }
      ])
    )
    expect(errorAnswer(many).error.message).toBe(
      'figureInputs: the arguments hold more than 10000 values'
    )
    // The largest real call still passes: 1000 run ids to delete.
    expect(
      validateArgs('deleteRuns', [Array.from({ length: 1000 }, (_, i) => i + 1)])[0]
    ).toHaveLength(1000)
  })

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
