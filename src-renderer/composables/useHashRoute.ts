// Views are addressed by the URL's hash (#/runs?q=latent:2&sort=testNelbo, #/run/12,
// #/compare?runs=1,2, #/new?from=12): bookmarkable, shareable, and the browser's back button
// works, without a router dependency. The query before the hash (?token=) is untouched.
import { readonly, ref } from 'vue'

/** The Runs table's filters and sort, kept in the URL so a reload or a shared link keeps them. */
export interface RunsParams {
  q?: string
  status?: string
  sweep?: string
  sort?: string
  dir?: string
}

export type Route =
  | { name: 'runs'; params?: RunsParams }
  | { name: 'new'; from?: number }
  | { name: 'run'; id: number }
  | { name: 'compare'; runIds: number[] }
  | { name: 'datasets' }

const RUNS_KEYS = ['q', 'status', 'sweep', 'sort', 'dir'] as const

export function parseHash(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?')
  const parts = path.split('/').filter(Boolean)
  const search = new URLSearchParams(query)
  switch (parts[0]) {
    case 'new': {
      const from = Number(search.get('from'))
      return Number.isInteger(from) && from > 0 ? { name: 'new', from } : { name: 'new' }
    }
    case 'datasets':
      return { name: 'datasets' }
    case 'run': {
      const id = Number(parts[1])
      return Number.isInteger(id) && id > 0 ? { name: 'run', id } : { name: 'runs' }
    }
    case 'compare': {
      const runs = search.get('runs') ?? ''
      return {
        name: 'compare',
        runIds: runs
          .split(',')
          .map(Number)
          .filter((n) => Number.isInteger(n) && n > 0)
      }
    }
    default: {
      const params: RunsParams = {}
      for (const k of RUNS_KEYS) {
        const v = search.get(k)
        if (v) params[k] = v
      }
      return Object.keys(params).length ? { name: 'runs', params } : { name: 'runs' }
    }
  }
}

export function hrefOf(r: Route): string {
  switch (r.name) {
    case 'run':
      return `#/run/${r.id}`
    case 'compare':
      return r.runIds.length ? `#/compare?runs=${r.runIds.join(',')}` : '#/compare'
    case 'new':
      return r.from ? `#/new?from=${r.from}` : '#/new'
    case 'runs': {
      const p = new URLSearchParams()
      for (const k of RUNS_KEYS) if (r.params?.[k]) p.set(k, r.params[k]!)
      const q = p.toString()
      return q ? `#/runs?${q}` : '#/runs'
    }
    default:
      return `#/${r.name}`
  }
}

const current = ref<Route>(
  typeof location === 'undefined' ? { name: 'runs' } : parseHash(location.hash)
)
if (typeof window !== 'undefined')
  window.addEventListener('hashchange', () => (current.value = parseHash(location.hash)))

export function useHashRoute() {
  function go(r: Route, replace = false): void {
    const href = hrefOf(r)
    if (replace) history.replaceState(null, '', href)
    else if (location.hash !== href) location.hash = href
    current.value = parseHash(href)
  }
  return { route: readonly(current), go }
}
