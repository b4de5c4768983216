// Test -ELBO per class, one bar per run in each class's group (the seed's evaluation split by
// class). By default bars start at zero, so their lengths compare honestly; `barsFromZero: false`
// starts the axis near the smallest value to show small differences, and the subtitle says so.
import type { BarSeriesOption, EChartsOption } from 'echarts'
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
  const title = `Test −ELBO per ${noun}`
  const values = input.runs.flatMap((r) => r.perDigit.filter((v): v is number => v !== null))
  let min: number | undefined = 0
  if (!fromZero && values.length) {
    const lo = Math.min(...values)
    const hi = Math.max(...values)
    const step = niceStep(Math.max(hi - lo, 1), 5)
    min = Math.max(0, Math.floor((lo - step) / step) * step)
  }
  const series: BarSeriesOption[] = input.runs.map((r, k) => ({
    type: 'bar',
    name: r.run.name,
    data: r.perDigit.map((v) => (v === null ? null : Number(v.toFixed(3)))),
    color: runColor(k),
    barGap: '10%',
    barCategoryGap: '28%'
  }))
  const option: EChartsOption = {
    ...baseOption(),
    title: showTitle
      ? titleBlock(title, fromZero ? undefined : `the axis starts at ${min} nats, not at 0`)
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
      valueFormatter: (v) => (typeof v === 'number' ? v.toFixed(2) : '—')
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
      `Test −ELBO per ${noun} (nats per image, lower is better), one bar per run` +
      (fromZero ? '.' : `; the axis starts at ${min} nats to show small differences.`)
  }
}
