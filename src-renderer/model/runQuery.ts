// The Runs search box's small syntax (issue 13), documented in the box's help:
//   latent:5  status:completed  tag:keep  dataset:fashion  sweep:paper  backend:wasm-blas
//   beta>1  lr<=0.001  epochs>=10  hidden=500  nelbo<100  id>20
//   other words must all appear in the run's name ("#12" is run 12)
// Every term must hold. Unknown keys are reported, not silently matched as text.
import type { RunSummary, TrainConfig } from '../../src-main/common/contract'

export interface RunFacetsLike {
  tags: readonly string[]
  note: string | null
  config: TrainConfig
}

type Op = ':' | '=' | '>' | '<' | '>=' | '<='

export interface QueryTerm {
  key: string
  op: Op
  value: string
}

export interface ParsedQuery {
  terms: QueryTerm[]
  words: string[]
  /** Problems to show under the box, e.g. 'unknown filter "colour"'. */
  errors: string[]
}

/** Text keys: key:value matches exactly (case-insensitive); tag/note also by containment for note. */
const TEXT_KEYS = [
  'status',
  'tag',
  'dataset',
  'sweep',
  'backend',
  'optimizer',
  'name',
  'note',
  'pixels',
  'init'
] as const
/** Numeric keys, with how to read each from a run. */
const NUMBER_KEYS: Record<string, (r: RunSummary, f?: RunFacetsLike) => number | null | undefined> =
  {
    id: (r) => r.id,
    latent: (r) => r.latent,
    epochs: (r) => r.epochs,
    done: (r) => r.epochsDone,
    nelbo: (r) => r.testNelbo,
    imgs: (r) => r.imgPerSec,
    beta: (_r, f) => f?.config.beta,
    lr: (_r, f) => f?.config.lr ?? (f ? (f.config.optimizer === 'adam' ? 1e-3 : 0.01) : undefined),
    // A layer list (200,200) answers to its first layer's width.
    hidden: (_r, f) => (f ? [f.config.hidden].flat()[0] : undefined),
    seed: (_r, f) => f?.config.seed,
    batch: (_r, f) => f?.config.batchSize
  }

export const QUERY_KEYS = [...TEXT_KEYS, ...Object.keys(NUMBER_KEYS)]

export function parseRunQuery(text: string): ParsedQuery {
  const terms: QueryTerm[] = []
  const words: string[] = []
  const errors: string[] = []
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([a-z]+)(>=|<=|:|=|>|<)(.*)$/i.exec(token)
    if (!m) {
      words.push(token.toLowerCase())
      continue
    }
    const key = m[1].toLowerCase()
    const op = m[2] as Op
    const value = m[3]
    if (!QUERY_KEYS.includes(key)) {
      errors.push(
        `unknown filter "${key}"; try ${['latent:5', 'status:completed', 'tag:x', 'beta>1'].join(', ')}`
      )
      continue
    }
    if (value === '') {
      errors.push(`"${token}" needs a value`)
      continue
    }
    const numeric = key in NUMBER_KEYS
    if (numeric && !Number.isFinite(Number(value))) {
      errors.push(`${key} takes a number, not "${value}"`)
      continue
    }
    if (!numeric && op !== ':' && op !== '=') {
      errors.push(`${key} is compared with ":", as in ${key}:value`)
      continue
    }
    terms.push({ key, op, value: numeric ? value : value.toLowerCase() })
  }
  return { terms, words, errors }
}

function compare(v: number, op: Op, target: number): boolean {
  switch (op) {
    case '>':
      return v > target
    case '<':
      return v < target
    case '>=':
      return v >= target
    case '<=':
      return v <= target
    default:
      return Math.abs(v - target) <= 1e-12 * Math.max(1, Math.abs(target))
  }
}

function textOf(key: string, r: RunSummary, f?: RunFacetsLike): string[] {
  switch (key) {
    case 'status':
      return [r.status]
    case 'tag':
      return [...(f?.tags ?? [])]
    case 'dataset':
      return [r.dataset]
    case 'sweep':
      return [r.sweep ?? '']
    case 'backend':
      return [r.backend ?? '']
    case 'name':
      return [r.name ?? '']
    case 'note':
      return [f?.note ?? '']
    case 'optimizer':
    case 'pixels':
    case 'init':
      return f ? [String(f.config[key])] : []
    default:
      return []
  }
}

/** Does run `r` (with its facets, when known) satisfy the parsed query? */
export function matchesQuery(q: ParsedQuery, r: RunSummary, f?: RunFacetsLike): boolean {
  for (const t of q.terms) {
    const read = NUMBER_KEYS[t.key]
    if (read) {
      const v = read(r, f)
      if (v === null || v === undefined || !compare(v, t.op, Number(t.value))) return false
    } else {
      const values = textOf(t.key, r, f).map((s) => s.toLowerCase())
      // Sweeps, names and notes are long: a part matches; status, tags and the rest exactly.
      const partial = t.key === 'sweep' || t.key === 'name' || t.key === 'note'
      if (!values.some((v) => (partial ? v.includes(t.value) : v === t.value))) return false
    }
  }
  if (q.words.length) {
    const name = (r.name ?? `run ${r.id}`).toLowerCase()
    for (const w of q.words) if (!(w === `#${r.id}` || name.includes(w))) return false
  }
  return true
}
