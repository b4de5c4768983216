// Learning curves of several runs overlaid: test -ELBO solid, train -ELBO dashed, one colour per
// run; with `showParts`, the rec and KL terms in two more panels beside it.
import type {
  EChartsOption,
  LineSeriesOption,
  TitleComponentOption,
  XAXisComponentOption,
  YAXisComponentOption
} from 'echarts'
import {
  baseOption,
  FONT_SIZE,
  TEXT_COLOR,
  TITLE_HEIGHT,
  titleBlock,
  valueXAxis,
  valueYAxis
} from './figureTheme'
import type { CurvesInput, FigureOptions, FigureSpec, LossPartsInput } from './figureInputs'
import { runColor } from './palette'

const PLOT = { width: 300, height: 240 }
const PAD = { left: 64, right: 20, top: 30, bottom: 48 }
const LEGEND_HEIGHT = 44

const PANELS: { key: keyof LossPartsInput; name: string; axis: string }[] = [
  { key: 'nelbo', name: '−ELBO', axis: '−ELBO (nats per image)' },
  { key: 'rec', name: 'Reconstruction', axis: 'rec (nats per image)' },
  { key: 'kl', name: 'KL', axis: 'KL (nats per image)' }
]

export function curvesFigure(input: CurvesInput, opts: FigureOptions = {}): FigureSpec {
  const panels = input.showParts ? PANELS : PANELS.slice(0, 1)
  const showTitle = opts.title !== false
  const head = (showTitle ? TITLE_HEIGHT : 6) + LEGEND_HEIGHT
  const panelW = PAD.left + PLOT.width + PAD.right
  const title = 'Learning curves'
  const titles: TitleComponentOption[] = showTitle
    ? [titleBlock(title, 'solid: test, dashed: train')]
    : []
  const xAxes: XAXisComponentOption[] = []
  const yAxes: YAXisComponentOption[] = []
  const series: LineSeriesOption[] = []
  const maxEpoch = Math.max(1, ...input.runs.flatMap((r) => r.epochs.map((e) => e.epoch)))

  panels.forEach((panel, i) => {
    const left = i * panelW
    if (panels.length > 1) {
      titles.push({
        text: panel.name,
        left: left + PAD.left,
        top: head + 4,
        textStyle: { fontSize: FONT_SIZE + 1, fontWeight: 'bold', color: TEXT_COLOR }
      })
    }
    xAxes.push(
      valueXAxis('epoch', { gridIndex: i, min: 0, max: maxEpoch, minInterval: 1, scale: false })
    )
    yAxes.push(valueYAxis(panel.axis, { gridIndex: i, nameGap: 46 }))
    input.runs.forEach((r, k) => {
      for (const split of ['test', 'train'] as const) {
        series.push({
          type: 'line',
          name: r.run.name,
          xAxisIndex: i,
          yAxisIndex: i,
          data: r.epochs.map((e) => [e.epoch, e[split][panel.key]]),
          color: runColor(k),
          lineStyle: {
            width: split === 'test' ? 2 : 1.5,
            type: split === 'test' ? 'solid' : 'dashed'
          },
          symbol: split === 'test' ? 'circle' : 'emptyCircle',
          symbolSize: 5,
          showSymbol: r.epochs.length <= 30
        })
      }
    })
  })

  const option: EChartsOption = {
    ...baseOption(),
    title: titles,
    legend: {
      data: input.runs.map((r) => r.run.name),
      top: showTitle ? TITLE_HEIGHT + 16 : 6,
      left: PAD.left,
      itemGap: 16,
      textStyle: { color: TEXT_COLOR }
    },
    tooltip: { trigger: 'axis' },
    grid: panels.map((_, i) => ({
      left: i * panelW + PAD.left,
      top: head + PAD.top,
      width: PLOT.width,
      height: PLOT.height,
      containLabel: false
    })),
    xAxis: xAxes,
    yAxis: yAxes,
    series
  }
  return {
    name: 'curves',
    title,
    width: panels.length * panelW,
    height: head + PAD.top + PLOT.height + PAD.bottom,
    option
  }
}
