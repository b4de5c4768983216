// Learning curves of several runs overlaid: one colour per run, test solid with filled markers,
// train dashed with hollow ones, each named "run · test" / "run · train" in legend and tooltip;
// with `showParts`, the rec and KL terms in two more panels. Values read to 2 decimals.
import type {
  DataZoomComponentOption,
  EChartsOption,
  LineSeriesOption,
  TitleComponentOption,
  XAXisComponentOption,
  YAXisComponentOption
} from 'echarts'
import {
  baseOption,
  FONT_SIZE,
  MUTED_TEXT,
  TEXT_COLOR,
  TITLE_HEIGHT,
  titleBlock,
  valueXAxis,
  valueYAxis
} from './figureTheme'
import type { CurvesInput, FigureOptions, FigureSpec, LossPartsInput } from './figureInputs'
import { runColor } from './palette'
import { legendRows } from './textWidth'

const PLOT = { width: 300, height: 240 }
const PAD = { left: 64, right: 20, top: 30, bottom: 48 }
const LEGEND_ROW = 22
const ZOOM_HEIGHT = 34
/** Names of the band's helper series start with this: kept out of the legend and tooltip. */
const BAND = '\u200b'

const PANELS: { key: keyof LossPartsInput; name: string; axis: string }[] = [
  { key: 'nelbo', name: '−ELBO', axis: '−ELBO (nats per image)' },
  { key: 'rec', name: 'Reconstruction', axis: 'rec (nats per image)' },
  { key: 'kl', name: 'KL', axis: 'KL (nats per image)' }
]

/** Exponential moving average with TensorBoard's debiasing, so the first points are not pulled to 0. */
export function smooth(values: readonly number[], weight: number): number[] {
  if (!(weight > 0)) return [...values]
  let last = 0
  let n = 0
  return values.map((v) => {
    last = last * weight + (1 - weight) * v
    n++
    return last / (1 - weight ** n)
  })
}

const round2 = (v: unknown) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : String(v ?? '—')

export function curvesFigure(input: CurvesInput, opts: FigureOptions = {}): FigureSpec {
  const panels = input.showParts ? PANELS : PANELS.slice(0, 1)
  const view = opts.curves ?? {}
  const showTitle = opts.title !== false
  const panelW = PAD.left + PLOT.width + PAD.right
  const width = panels.length * panelW
  const seriesNames = input.runs.flatMap((r) => [`${r.run.name} · test`, `${r.run.name} · train`])
  const legendTop = showTitle ? TITLE_HEIGHT + 16 : 6
  const legendH = LEGEND_ROW * legendRows(seriesNames, width - PAD.left - 12, { itemGap: 16 })
  const head = legendTop + legendH + 4
  // Per series and epoch, a seed group's (smoothed) sd, for the tooltip's '± sd'.
  const sdOf = new Map<string, Map<number, number>>()
  const grouped = input.runs.some((r) => r.spread)
  const title = 'Learning curves'
  const notes = [
    'solid: test, dashed: train',
    ...(grouped ? ['band: ± 1 sd over seeds'] : []),
    ...(view.smoothing ? [`smoothed (EMA ${view.smoothing})`] : []),
    ...(view.logY ? ['log scale'] : [])
  ]
  const titles: TitleComponentOption[] = showTitle ? [titleBlock(title, notes.join(' · '))] : []
  const xAxes: XAXisComponentOption[] = []
  const yAxes: YAXisComponentOption[] = []
  const series: LineSeriesOption[] = []
  const epochs = input.runs.flatMap((r) => r.epochs.map((e) => e.epoch))
  const firstEpoch = epochs.length ? Math.min(...epochs) : 1
  const lastEpoch = Math.max(firstEpoch + 1, ...epochs)

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
      valueXAxis('epoch', {
        gridIndex: i,
        min: firstEpoch,
        max: lastEpoch,
        minInterval: 1,
        scale: false
      })
    )
    // KL can be 0 (a collapsed posterior): a log axis would have no place for it.
    const log = view.logY && panel.key !== 'kl'
    yAxes.push(
      valueYAxis(panel.axis, {
        gridIndex: i,
        nameGap: 46,
        ...(log ? { type: 'log', logBase: 10 } : {}),
        axisLabel: { formatter: (v: number) => String(Number(v.toPrecision(4))) }
      } as YAXisComponentOption)
    )
    input.runs.forEach((r, k) => {
      // A seed group: a band of ± 1 sd around the test mean, as a transparent lower line with the
      // band's height stacked on it (so the band follows the smoothing and the log axis).
      if (r.spread && r.spread.length === r.epochs.length) {
        const mean = smooth(
          r.epochs.map((e) => e.test[panel.key]),
          view.smoothing ?? 0
        )
        const sd = smooth(
          r.spread.map((e) => e.test[panel.key]),
          view.smoothing ?? 0
        )
        const lower = mean.map((m, j) => (log ? Math.max(m - sd[j], m * 1e-3) : m - sd[j]))
        const stack = `band-${k}-${i}`
        const common = {
          type: 'line' as const,
          xAxisIndex: i,
          yAxisIndex: i,
          stack,
          symbol: 'none',
          silent: true,
          lineStyle: { opacity: 0 },
          tooltip: { show: false }
        }
        series.push({
          ...common,
          name: `${BAND}${r.run.name} lower`,
          data: r.epochs.map((e, j) => [e.epoch, Number(lower[j].toFixed(4))])
        })
        series.push({
          ...common,
          name: `${BAND}${r.run.name} band`,
          color: runColor(k),
          areaStyle: { color: runColor(k), opacity: 0.18 },
          data: r.epochs.map((e, j) => [e.epoch, Number((mean[j] + sd[j] - lower[j]).toFixed(4))])
        })
        sdOf.set(`${r.run.name} · test`, new Map(r.spread.map((e, j) => [e.epoch, sd[j]])))
      }
      for (const split of ['test', 'train'] as const) {
        const ys = smooth(
          r.epochs.map((e) => e[split][panel.key]),
          view.smoothing ?? 0
        )
        series.push({
          type: 'line',
          name: `${r.run.name} · ${split}`,
          xAxisIndex: i,
          yAxisIndex: i,
          data: r.epochs.map((e, j) => [e.epoch, Number(ys[j].toFixed(4))]),
          color: runColor(k),
          lineStyle: {
            width: split === 'test' ? 2 : 1.5,
            type: split === 'test' ? 'solid' : 'dashed'
          },
          symbol: split === 'test' ? 'circle' : 'emptyCircle',
          symbolSize: 5,
          showSymbol: r.epochs.length <= 30,
          ...(input.markEpoch !== undefined && k === 0 && split === 'test'
            ? {
                markLine: {
                  silent: true,
                  symbol: 'none',
                  animation: false,
                  lineStyle: { color: MUTED_TEXT, type: 'dotted', width: 1.5 },
                  label: { formatter: `epoch ${input.markEpoch}`, color: MUTED_TEXT },
                  data: [{ xAxis: input.markEpoch }]
                }
              }
            : {})
        })
      }
    })
  })

  const zoom: DataZoomComponentOption[] = opts.interactive
    ? [
        { type: 'inside', xAxisIndex: panels.map((_, i) => i), filterMode: 'none' },
        {
          type: 'slider',
          xAxisIndex: panels.map((_, i) => i),
          filterMode: 'none',
          height: 18,
          bottom: 8,
          left: PAD.left,
          right: PAD.right,
          labelFormatter: (v: number) => `epoch ${Math.round(v)}`
        }
      ]
    : []
  const height = head + PAD.top + PLOT.height + PAD.bottom + (opts.interactive ? ZOOM_HEIGHT : 0)
  const option: EChartsOption = {
    ...baseOption(),
    title: titles,
    legend: {
      data: seriesNames,
      top: legendTop,
      left: PAD.left,
      width: width - PAD.left - 12,
      itemGap: 16,
      textStyle: { color: TEXT_COLOR, fontSize: FONT_SIZE }
    },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'line' },
      // Used where the formatter below is not (and by tests): values rounded to 2 decimals.
      valueFormatter: (v) => round2(Array.isArray(v) ? v[1] : v),
      formatter: (params) => {
        const list = (Array.isArray(params) ? params : [params]) as {
          seriesName?: string
          marker?: unknown
          value?: unknown
        }[]
        const rows = list.filter((p) => !p.seriesName?.startsWith(BAND))
        if (!rows.length) return ''
        const epoch = (rows[0].value as number[] | undefined)?.[0]
        const lines = rows.map((p) => {
          const [x, y] = (p.value as number[] | undefined) ?? []
          const sd = sdOf.get(p.seriesName ?? '')?.get(x)
          return `${typeof p.marker === 'string' ? p.marker : ''}${p.seriesName}: ${round2(y)}${sd !== undefined ? ` ± ${round2(sd)}` : ''}`
        })
        return [`epoch ${epoch}`, ...lines].join('<br/>')
      }
    },
    grid: panels.map((_, i) => ({
      left: i * panelW + PAD.left,
      top: head + PAD.top,
      width: PLOT.width,
      height: PLOT.height,
      containLabel: false
    })),
    xAxis: xAxes,
    yAxis: yAxes,
    ...(zoom.length ? { dataZoom: zoom } : {}),
    series
  }
  return {
    name: 'curves',
    title,
    width,
    height,
    option,
    caption:
      `Learning curves: test (solid) and training (dashed) −ELBO per epoch in nats per image, one ` +
      `colour per ${grouped ? 'seed group (its mean over seeds, with a band of ± 1 standard deviation around the test curve; n is the number of seeds)' : 'run'}${input.showParts ? ', with the reconstruction and KL terms beside it' : ''}` +
      `${view.smoothing ? `; smoothed with an exponential moving average (weight ${view.smoothing})` : ''}.`
  }
}
