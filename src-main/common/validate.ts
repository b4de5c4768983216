// Validation at the boundary, and errors as answers: the one place where a zod issue becomes a
// VaeLabError and a VaeLabError becomes what an adapter sends (IPC, HTTP, a worker's message).
import type { z } from 'zod'
import type { ErrorCode } from './contract'
import { isVaeLabError, VaeLabError } from './errors'
import { API_ARGS, API_PARAMS, type ApiAnswer, type ApiMethod } from './workbenchContract'

/**
 * Validates `input` against `schema`; the first problem becomes an INVALID_INPUT error naming the
 * field (its path, under `field` when the input is one named value).
 */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  field?: string
): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const at = [...(field ? [field] : []), ...issue.path.map(String)].join('.')
  throw new VaeLabError('INVALID_INPUT', issue.message, at ? { field: at } : undefined)
}

/**
 * Arguments of an api call that do not match its schema. `field` names the parameter in the
 * caller's terms (a CLI flag is looked up from it); `argPath` is where it sat in the args array.
 */
export class ArgumentsError extends VaeLabError {
  constructor(
    readonly method: ApiMethod,
    readonly argPath: string,
    message: string,
    field: string | undefined
  ) {
    super('INVALID_INPUT', message, field ? { field } : undefined)
  }
}

export function isApiMethod(method: string): method is ApiMethod {
  return Object.prototype.hasOwnProperty.call(API_ARGS, method)
}

/** No api argument nests deeper than this; the deepest real one (a sweep request) has 4 levels. */
export const MAX_ARG_DEPTH = 32
/** Values (array elements and object fields) in one call's arguments; deleteRuns' 1000 ids are the most. */
export const MAX_ARG_VALUES = 10_000

/**
 * What makes arguments too big to validate safely, found without recursion, or null. A 5,000-level
 * array would overflow the stack of whoever walks it next (a schema, the structured clone that
 * hands it to a worker); 100,000 bad list items cost the schema one issue each, and the event
 * loop a third of a second (both found by tests/integration/apiFuzz.test.ts).
 */
export function oversizedArgs(
  value: unknown,
  maxDepth = MAX_ARG_DEPTH,
  maxValues = MAX_ARG_VALUES
): string | null {
  const stack: [unknown, number][] = [[value, 0]]
  let values = 0
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    if (depth >= maxDepth) return `the arguments nest deeper than ${maxDepth} levels`
    const children = Array.isArray(v) ? v : Object.values(v)
    values += children.length
    if (values > maxValues) return `the arguments hold more than ${maxValues} values`
    for (const child of children) stack.push([child, depth + 1])
  }
  return null
}

/** The parsed arguments of `method`, or an ArgumentsError for the first problem. */
export function validateArgs<M extends ApiMethod>(
  method: M,
  args: unknown
): z.output<(typeof API_ARGS)[M]> {
  const oversized = oversizedArgs(args)
  if (oversized) throw new ArgumentsError(method, '', oversized, undefined)
  const parsed = API_ARGS[method].safeParse(Array.isArray(args) ? args : [])
  if (parsed.success) return parsed.data as z.output<(typeof API_ARGS)[M]>
  const issue = parsed.error.issues[0]
  const [index, ...rest] = issue.path.map(String)
  const param = index === undefined ? null : (API_PARAMS[method][Number(index)] ?? null)
  const field = rest.length ? rest.join('.') : (param ?? undefined)
  throw new ArgumentsError(method, issue.path.join('.'), issue.message, field)
}

/** An error as plain data (for a worker's message), losing nothing a VaeLabError carries. */
export interface ErrorPayload {
  code: ErrorCode
  message: string
  field?: string
}

export function errorPayload(e: unknown): ErrorPayload {
  if (isVaeLabError(e)) return { code: e.code, message: e.message, field: e.field }
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) }
}

export function errorFromPayload(p: ErrorPayload): VaeLabError {
  return new VaeLabError(p.code, p.message, p.field ? { field: p.field } : undefined)
}

/**
 * How IPC and HTTP answer a failed call: the message names the method and argument for bad
 * arguments (`getRun: 0: a run id must be a number`), else the field at fault, if any.
 */
export function errorAnswer(e: unknown): Extract<ApiAnswer<never>, { ok: false }> {
  if (e instanceof ArgumentsError) {
    const at = e.argPath ? `${e.argPath}: ` : ''
    return {
      ok: false,
      error: {
        code: e.code,
        message: `${e.method}: ${at}${e.message}`,
        ...(e.field ? { field: e.field } : {})
      }
    }
  }
  const p = errorPayload(e)
  return {
    ok: false,
    error: {
      code: p.code,
      message: p.field ? `${p.field}: ${p.message}` : p.message,
      ...(p.field ? { field: p.field } : {})
    }
  }
}
