import type { ErrorCode } from './contract'

/** The one error type the core throws on purpose; adapters map `code` to exit codes or statuses. */
export class VaeLabError extends Error {
  /** The input field at fault, for INVALID_INPUT; adapters name it in their own terms (a CLI flag). */
  readonly field?: string

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; field?: string }
  ) {
    super(message, options)
    this.name = 'VaeLabError'
    this.field = options?.field
  }
}

export function isVaeLabError(e: unknown): e is VaeLabError {
  return e instanceof VaeLabError
}
