import type { ErrorCode } from '../../common/contract'

export const EXIT_OK = 0
export const EXIT_UNEXPECTED = 1
export const EXIT_BAD_INPUT = 2
export const EXIT_INTERRUPTED = 130

/** Bad input or data (the user can fix it) exits 2; anything unexpected exits 1. */
export const EXIT_CODE_OF: Record<ErrorCode, number> = {
  INVALID_INPUT: EXIT_BAD_INPUT,
  NOT_FOUND: EXIT_BAD_INPUT,
  DATA_CORRUPT: EXIT_BAD_INPUT,
  BACKEND_UNAVAILABLE: EXIT_BAD_INPUT,
  DATABASE_INCOMPATIBLE: EXIT_BAD_INPUT,
  DATABASE_DAMAGED: EXIT_BAD_INPUT,
  DATABASE_UNWRITABLE: EXIT_BAD_INPUT,
  CANCELLED: EXIT_INTERRUPTED,
  INTERNAL: EXIT_UNEXPECTED
}
