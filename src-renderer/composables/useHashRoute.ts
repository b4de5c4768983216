// Views are addressed by the URL's hash (#/runs, #/run/12, #/compare?runs=1,2): bookmarkable,
// and the browser's back button works, without a router dependency. The query (?token=) is untouched.
import { readonly, ref } from 'vue'

export type Route =
  | { name: 'runs' }
  | { name: 'new' }
  | { name: 'run'; id: number }
  | { name: 'compare'; runIds: number[] }
  | { name: 'datasets' }

export function parseHash(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?')
  const parts = path.split('/').filter(Boolean)
  switch (parts[0]) {
    case 'new':
      return { name: 'new' }
    case 'datasets':
      return { name: 'datasets' }
    case 'run': {
      const id = Number(parts[1])
      return Number.isInteger(id) && id > 0 ? { name: 'run', id } : { name: 'runs' }
    }
    case 'compare': {
      const runs = new URLSearchParams(query).get('runs') ?? ''
      return {
        name: 'compare',
        runIds: runs
          .split(',')
          .map(Number)
          .filter((n) => Number.isInteger(n) && n > 0)
      }
    }
    default:
      return { name: 'runs' }
  }
}

export function hrefOf(r: Route): string {
  switch (r.name) {
    case 'run':
      return `#/run/${r.id}`
    case 'compare':
      return r.runIds.length ? `#/compare?runs=${r.runIds.join(',')}` : '#/compare'
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
