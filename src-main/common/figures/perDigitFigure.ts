// Test -ELBO per digit class, one bar per run in each digit's group (the seed's evaluation split by
// class). Bars start at zero, so their lengths compare honestly; the values are in the tooltip and CSV.
import type { BarSeriesOption, EChartsOption } from 'echarts'
import {
  baseOption,
  digitXAxis,
  MUTED_TEXT,
  TEXT_COLOR,
  TITLE_HEIGHT,
  titleBlock,
  valueYAxis
} from './figureTheme'
import type { FigureOptions, FigureSpec, PerDigitInput } from './figureInputs'
import { runColor } from './palette'

const PAD = { left: 72, right: 20, top: 34, bottom: 48 }

export function perDigitFigure(input: PerDigitInput, opts: FigureOptions = {}): FigureSpec {
  const showTitle = opts.title !== false
  const head = (showTitle ? TITLE_HEIGHT : 6) + 24
  const plotW = Math.max(520, 10 * (18 + 12 * input.runs.length))
  const plotH = 260
  const title = 'Test −ELBO per digit'
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
    title: showTitle ? titleBlock(title) : undefined,
    legend: {
      data: input.runs.map((r) => r.run.name),
      top: showTitle ? TITLE_HEIGHT : 6,
      left: PAD.left,
      itemGap: 16,
      textStyle: { color: TEXT_COLOR }
    },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: PAD.left, top: head + PAD.top, width: plotW, height: plotH, containLabel: false },
    xAxis: digitXAxis({ axisLine: { lineStyle: { color: MUTED_TEXT } } }),
    yAxis: valueYAxis('−ELBO (nats per image)', { scale: false, min: 0, nameGap: 50 }),
    series
  }
  return {
    name: 'perdigit',
    title,
    width: PAD.left + plotW + PAD.right,
    height: head + PAD.top + plotH + PAD.bottom,
    option
  }
}
