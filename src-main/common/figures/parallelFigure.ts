// Hyperparameters in parallel coordinates (issue 17): one axis per config field that varies
// across the runs, and the final test −ELBO as the last axis; each run a line coloured by its
// −ELBO (lower is better). On screen, brushing an axis selects the runs that pass through it.
import type { EChartsOption, ParallelSeriesOption } from 'echarts'
import {
  baseOption,
  FONT_SIZE,
  MUTED_TEXT,
  TEXT_COLOR,
  TITLE_HEIGHT,
  titleBlock
} from './figureTheme'
import type { FigureOptions, FigureSpec, ParallelInput } from './figureInputs'

const AXIS_GAP = 120
const PAD = { left: 60, right: 110, top: 56, bottom: 28 }
const PLOT_H = 300

export function parallelFigure(input: ParallelInput, opts: FigureOptions = {}): FigureSpec {
  const showTitle = opts.title !== false
  const head = showTitle ? TITLE_HEIGHT + 18 : 6
  const n = input.fields.length
  const plotW = Math.max(1, n - 1) * AXIS_GAP
  const last = n - 1
  const scores = input.runs
    .map((r) => r.values[last])
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  const lo = scores.length ? Math.min(...scores) : 0
  const hi = scores.length ? Math.max(...scores) : 1
  const highlight = new Set(input.highlight ?? [])
  const emphasise = highlight.size > 0
  const title = 'Hyperparameters and final test −ELBO'
  const series: ParallelSeriesOption = {
    type: 'parallel',
    smooth: false,
    inactiveOpacity: 0.08,
    activeOpacity: 1,
    lineStyle: { width: 1.5, opacity: 0.85 },
    emphasis: { disabled: true },
    data: input.runs.map((r) => ({
      name: r.run.name,
      value: r.values.map((v) => (v === null ? '-' : v)),
      lineStyle:
        emphasise && highlight.has(r.run.runId)
          ? { width: 3.5, opacity: 1 }
          : emphasise
            ? { width: 1.2, opacity: 0.45 }
            : {}
    })) as ParallelSeriesOption['data']
  }
  const option: EChartsOption = {
    ...baseOption(),
    title: showTitle
      ? titleBlock(
          title,
          `${input.runs.length} run${input.runs.length === 1 ? '' : 's'}; colour: test −ELBO (nats per image, lower is better)` +
            (emphasise ? '; thick: the compared runs' : '')
        )
      : undefined,
    parallel: {
      left: PAD.left,
      top: head + PAD.top,
      width: plotW,
      height: PLOT_H,
      parallelAxisDefault: {
        nameLocation: 'end',
        nameGap: 22,
        nameTextStyle: { color: TEXT_COLOR, fontSize: FONT_SIZE, fontWeight: 'bold' },
        axisLabel: { color: TEXT_COLOR, fontSize: FONT_SIZE },
        axisLine: { lineStyle: { color: MUTED_TEXT } },
        realtime: true
      }
    },
    parallelAxis: input.fields.map((f, i) => ({
      dim: i,
      name: f.label,
      type: f.kind === 'category' ? 'category' : f.kind,
      ...(f.kind === 'category' ? { data: [...(f.categories ?? [])] } : { scale: true }),
      // Lower (better) −ELBO at the top; an inverse axis names itself at its start, the top.
      ...(i === last ? { inverse: true, nameLocation: 'start' as const } : {})
    })),
    visualMap: {
      type: 'continuous',
      dimension: last,
      min: Number(lo.toFixed(2)),
      max: Number(Math.max(hi, lo + 1e-6).toFixed(2)),
      // Blue (good, low −ELBO) to orange-red (worse); readable on white.
      inRange: { color: ['#08519c', '#6baed6', '#fdae6b', '#d94801'] },
      right: 12,
      top: head + PAD.top,
      itemHeight: PLOT_H - 40,
      // As the last axis: better (lower) at the top.
      inverse: true,
      text: ['worse', 'better'],
      textStyle: { color: MUTED_TEXT, fontSize: FONT_SIZE },
      calculable: false,
      seriesIndex: 0
    },
    tooltip: {
      trigger: 'item',
      formatter: (p) => {
        const d = p as { name?: string; value?: unknown[] }
        const rows = input.fields.map((f, i) => `${f.label}: ${String(d.value?.[i] ?? '—')}`)
        return [`<b>${d.name ?? ''}</b>`, ...rows].join('<br/>')
      }
    },
    series: [series]
  }
  return {
    name: 'parallel',
    title,
    width: PAD.left + plotW + PAD.right,
    height: head + PAD.top + PLOT_H + PAD.bottom,
    option,
    caption:
      `The runs' hyperparameters in parallel coordinates: one axis per configuration field that ` +
      `differs between them (${input.fields
        .slice(0, -1)
        .map((f) => f.label)
        .join(', ')}) and the final test −ELBO as the last axis (lower at the top); each run is ` +
      `a line, coloured by its −ELBO.`
  }
}
