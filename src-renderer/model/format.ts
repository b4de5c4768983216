// How numbers read on screen: nats with two decimals, rates with thousands separators, "—" for
// what is not known yet. Tables align them with tabular-nums (see style.css).

const DASH = '—'

/** Loss values (nats per image). */
export function nats(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? DASH : x.toFixed(digits)
}

/** Throughput, e.g. "10,576". */
export function rate(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x)
    ? DASH
    : Math.round(x).toLocaleString('en-US')
}

/** Whole counts, e.g. "60,000". */
export function count(x: number | null | undefined): string {
  return rate(x)
}

/** Share 0..1 as "42%" (or "42.5%" with digits = 1). */
export function percent(x: number | null | undefined, digits = 0): string {
  return x === null || x === undefined || !Number.isFinite(x)
    ? DASH
    : `${(100 * x).toFixed(digits)}%`
}

/** Durations for ETAs and epoch times: "45 s", "3 min 20 s", "2 h 05 min". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0)
    return DASH
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
}

/** "2026-11-25 15:45" in local time: sortable and unambiguous. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return DASH
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return DASH
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}

/** Learning rates and other small numbers without trailing noise: 0.001 -> "1e-3". */
export function small(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH
  if (x !== 0 && Math.abs(x) < 0.01)
    return x
      .toExponential()
      .replace(/\.?0+e/, 'e')
      .replace('e-', 'e-')
  return String(Number(x.toPrecision(6)))
}
