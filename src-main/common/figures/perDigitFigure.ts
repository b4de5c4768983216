// Test -ELBO per class, one bar per run in each class's group (the seed's evaluation split by
// class). By default bars start at zero, so their lengths compare honestly; `barsFromZero: false`
// starts the axis near the smallest value to show small differences, and the subtitle says so.
import type { BarSeriesOption, CustomSeriesOption, EChartsOption } from 'echarts'
import { classNoun, DIGIT_NAMES } from '../classNames'
import {
  baseOption,
  classAxisHeight,
  digitXAxis,
  FONT_SIZE,
  MUTED_TEXT,
  niceStep,
  TEXT_COLOR,
  TITLE_HEIGHT,
  titleBlock,
  valueYAxis
} from './figureTheme'
import type { FigureOptions, FigureSpec, PerDigitInput } from './figureInputs'
import { runColor } from './palette'
import { legendRows } from './textWidth'

const PAD = { left: 72, right: 20, top: 34 }
const LEGEND_ROW = 22
/** Bar layout (ECharts' barCategoryGap and barGap), also where error bars are drawn. */
const CATEGORY_GAP = 0.28
const BAR_GAP = 0.1

export function perDigitFigure(input: PerDigitInput, opts: FigureOptions = {}): FigureSpec {
  const classes = opts.classes ?? DIGIT_NAMES
  const noun = classNoun(classes)
  const fromZero = opts.barsFromZero !== false
  const showTitle = opts.title !== false
  const plotW = Math.max(520, 10 * (18 + 12 * input.runs.length))
  const plotH = 260
  const names = input.runs.map((r) => r.run.name)
  const legendTop = showTitle ? TITLE_HEIGHT + 14 : 6
  const head = legendTop + LEGEND_ROW * legendRows(names, plotW, { itemGap: 16 }) + 4
  const bottom = classAxisHeight(classes)
  const title = `Test −ELBO per ${noun}${input.epoch !== undefined ? ` at epoch ${input.epoch}` : ''}`
  const values = input.runs.flatMap((r) => r.perDigit.filter((v): v is number => v !== null))
  let min: number | undefined = 0
  if (!fromZero && values.length) {
    const lo = Math.min(...values)
    const hi = Math.max(...values)
    const step = niceStep(Math.max(hi - lo, 1), 5)
    min = Math.max(0, Math.floor((lo - step) / step) * step)
  }
  const series: (BarSeriesOption | CustomSeriesOption)[] = input.runs.map((r, k) => ({
    type: 'bar',
    name: r.run.name,
    data: r.perDigit.map((v) => (v === null ? null : Number(v.toFixed(3)))),
    color: runColor(k),
    barGap: `${BAR_GAP * 100}%`,
    barCategoryGap: `${CATEGORY_GAP * 100}%`
  }))
  // Seed groups: error bars of ± 1 sd, drawn where ECharts lays out bar k of n in each class.
  const grouped = input.runs.some((r) => r.sd)
  const nRuns = input.runs.length
  input.runs.forEach((r, k) => {
    if (!r.sd) return
    const data = r.perDigit
      .map((v, d) => (v === null || r.sd![d] === null ? null : [d, v, r.sd![d]!]))
      .filter((x): x is number[] => x !== null)
    series.push({
      type: 'custom',
      name: `${r.run.name} · sd`,
      silent: true,
      z: 10,
      tooltip: { show: false },
      data,
      renderItem: (_params, api) => {
        const d = api.value(0) as number
        const mean = api.value(1) as number
        const sd = api.value(2) as number
        const band = (api.size?.([1, 0]) as number[])[0]
        const area = band * (1 - CATEGORY_GAP)
        const bar = area / (nRuns + (nRuns - 1) * BAR_GAP)
        const [cx] = api.coord([d, mean])
        const x = cx - area / 2 + bar / 2 + k * bar * (1 + BAR_GAP)
        const [, yHi] = api.coord([d, mean + sd])
        const [, yLo] = api.coord([d, Math.max(mean - sd, min ?? 0)])
        const cap = Math.min(6, bar / 3)
        const style = { stroke: TEXT_COLOR, lineWidth: 1.2 }
        return {
          type: 'group',
          children: [
            { type: 'line', shape: { x1: x, y1: yHi, x2: x, y2: yLo }, style },
            { type: 'line', shape: { x1: x - cap, y1: yHi, x2: x + cap, y2: yHi }, style },
            { type: 'line', shape: { x1: x - cap, y1: yLo, x2: x + cap, y2: yLo }, style }
          ]
        }
      }
    })
  })
  const sdOf = new Map(input.runs.map((r) => [r.run.name, r.sd]))
  const option: EChartsOption = {
    ...baseOption(),
    title: showTitle
      ? titleBlock(
          title,
          [
            ...(grouped ? ['mean over seeds, error bars ± 1 sd'] : []),
            ...(fromZero ? [] : [`the axis starts at ${min} nats, not at 0`])
          ].join(' · ') || undefined
        )
      : undefined,
    legend: {
      data: names,
      top: legendTop,
      left: PAD.left,
      width: plotW,
      itemGap: 16,
      textStyle: { color: TEXT_COLOR, fontSize: FONT_SIZE }
    },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (params) => {
        const list = (Array.isArray(params) ? params : [params]) as {
          seriesName?: string
          seriesType?: string
          marker?: unknown
          value?: unknown
          dataIndex: number
          name?: string
        }[]
        const rows = list.filter((p) => p.seriesType !== 'custom')
        const lines = rows.map((p) => {
          const v = p.value
          const sd = sdOf.get(p.seriesName ?? '')?.[p.dataIndex]
          const text =
            typeof v === 'number'
              ? `${v.toFixed(2)}${sd !== undefined && sd !== null ? ` ± ${sd.toFixed(2)}` : ''}`
              : '—'
          return `${typeof p.marker === 'string' ? p.marker : ''}${p.seriesName}: ${text}`
        })
        return [`${noun} ${rows[0]?.name ?? ''}`, ...lines].join('<br/>')
      }
    },
    grid: { left: PAD.left, top: head + PAD.top, width: plotW, height: plotH, containLabel: false },
    xAxis: digitXAxis({ axisLine: { lineStyle: { color: MUTED_TEXT } } }, classes),
    yAxis: valueYAxis('−ELBO (nats per image)', { scale: false, min, nameGap: 50 }),
    series
  }
  return {
    name: 'perdigit',
    title,
    width: PAD.left + plotW + PAD.right,
    height: head + PAD.top + plotH + bottom,
    option,
    caption:
      `Test −ELBO per ${noun} (nats per image, lower is better), one bar per ` +
      (grouped
        ? 'seed group: the mean over its seeds, with error bars of ± 1 standard deviation (n seeds in the legend)'
        : 'run') +
      (fromZero ? '.' : `; the axis starts at ${min} nats to show small differences.`)
  }
}
