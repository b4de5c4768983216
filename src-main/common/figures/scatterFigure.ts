// Fig 8 of the seed: latent means of 24 test images per class, each class with its own colour and
// marker shape, one panel per run. 2-D runs are drawn as is; larger ones as a 2-D projection (see
// core/analysis). Panels of one kind share their axis ranges, so spreads compare at a glance.
import type {
  EChartsOption,
  ScatterSeriesOption,
  TitleComponentOption,
  XAXisComponentOption,
  YAXisComponentOption
} from 'echarts'
import { className, classNoun, DIGIT_NAMES } from '../classNames'
import {
  baseOption,
  FONT_SIZE,
  MUTED_TEXT,
  niceStep,
  TEXT_COLOR,
  TITLE_HEIGHT,
  titleBlock,
  valueXAxis,
  valueYAxis
} from './figureTheme'
import type { FigureOptions, FigureSpec, ScatterInput, ScatterPanel } from './figureInputs'
import { CLASS_COLORS, CLASS_SYMBOLS } from './palette'
import { legendRows } from './textWidth'

const PLOT = 250
const PAD = { left: 58, right: 18, top: 50, bottom: 46 }
const LEGEND_ROW = 22
const LEGEND = { itemWidth: 12, itemHeight: 12, itemGap: 14 }

const METHOD_AXES: Record<ScatterPanel['method'], string> = {
  mu: 'z',
  pca: 'PC',
  umap: 'UMAP',
  tsne: 't-SNE'
}
const METHOD_NAMES: Record<ScatterPanel['method'], string> = {
  mu: 'latent means',
  pca: 'PCA',
  umap: 'UMAP',
  tsne: 't-SNE'
}

function axisNames(method: ScatterPanel['method']): [string, string] {
  return method === 'mu' ? ['z₁', 'z₂'] : [`${METHOD_AXES[method]} 1`, `${METHOD_AXES[method]} 2`]
}

function panelTitle(p: ScatterPanel): { text: string; subtext?: string } {
  const how = p.method === 'mu' ? 'μ' : `${METHOD_NAMES[p.method]} of μ`
  const s = p.separability
  const subtext = s
    ? `${s.k}-NN accuracy: latent ${pct(s.latent)}, 2-D ${pct(s.projected)}`
    : undefined
  return { text: `${p.run.name} · ${how}`, subtext }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`
const round2 = (v: number) => (Math.abs(v) < 0.005 ? '0.00' : v.toFixed(2))

/** A range with round ends covering every panel's points of one method (shared axes). */
function sharedRanges(panels: readonly ScatterPanel[]) {
  const out = new Map<ScatterPanel['method'], { x: [number, number]; y: [number, number] }>()
  for (const method of new Set(panels.map((p) => p.method))) {
    const pts = panels.filter((p) => p.method === method).flatMap((p) => p.points)
    if (!pts.length) continue
    const axis = (k: 0 | 1): [number, number] => {
      const v = pts.map((p) => p[k])
      const lo = Math.min(...v)
      const hi = Math.max(...v)
      const step = niceStep(Math.max(hi - lo, 1e-6), 5)
      return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step]
    }
    out.set(method, { x: axis(0), y: axis(1) })
  }
  return out
}

/** The seed's Fig 8; `projectionFigure` draws the same panels under another title. */
export function scatterFigure(
  input: ScatterInput,
  opts: FigureOptions = {},
  naming: { name: string; title?: string; caption?: string } = { name: 'scatter' }
): FigureSpec {
  const classes = opts.classes ?? DIGIT_NAMES
  const noun = classNoun(classes)
  const title =
    (naming.title ?? `Latent space of test images by ${noun}`) +
    (input.epoch !== undefined ? `, epoch ${input.epoch}` : '')
  const n = Math.max(1, input.panels.length)
  const cols = n === 4 ? 2 : Math.min(n, 3)
  const rows = Math.ceil(n / cols)
  const showTitle = opts.title !== false
  const panelW = PAD.left + PLOT + PAD.right
  const panelH = PAD.top + PLOT + PAD.bottom
  const width = cols * panelW
  // The legend gets as many rows as its names need at this width, below the title.
  const legendTop = showTitle ? TITLE_HEIGHT + 4 : 6
  const legendItems = classes.map(String)
  const legendH =
    LEGEND_ROW *
    legendRows(legendItems, width - PAD.left - 12, {
      iconWidth: LEGEND.itemWidth,
      itemGap: LEGEND.itemGap
    })
  const headTop = legendTop + legendH + 8
  const titles: TitleComponentOption[] = showTitle ? [titleBlock(title)] : []
  const grids: NonNullable<EChartsOption['grid']> = []
  const xAxes: XAXisComponentOption[] = []
  const yAxes: YAXisComponentOption[] = []
  const series: ScatterSeriesOption[] = []
  const ranges = sharedRanges(input.panels)

  input.panels.forEach((p, i) => {
    const left = (i % cols) * panelW
    const top = headTop + Math.floor(i / cols) * panelH
    const t = panelTitle(p)
    titles.push({
      text: t.text,
      subtext: t.subtext,
      left: left + PAD.left,
      top: top + 4,
      itemGap: 4,
      textStyle: { fontSize: FONT_SIZE + 1, fontWeight: 'bold', color: TEXT_COLOR },
      subtextStyle: { fontSize: FONT_SIZE - 1, color: MUTED_TEXT }
    })
    grids.push({
      left: left + PAD.left,
      top: top + PAD.top,
      width: PLOT,
      height: PLOT,
      containLabel: false
    })
    const [xName, yName] = axisNames(p.method)
    const r = ranges.get(p.method)
    xAxes.push(
      valueXAxis(xName, {
        gridIndex: i,
        ...(r ? { min: r.x[0], max: r.x[1], scale: false } : {})
      })
    )
    yAxes.push(
      valueYAxis(yName, {
        gridIndex: i,
        nameGap: 40,
        ...(r ? { min: r.y[0], max: r.y[1], scale: false } : {})
      })
    )
    for (let c = 0; c < classes.length; c++) {
      const data = p.points.filter((_, j) => p.labels[j] === c).map(([x, y]) => [x, y])
      series.push({
        type: 'scatter',
        name: legendItems[c],
        xAxisIndex: i,
        yAxisIndex: i,
        data,
        symbol: CLASS_SYMBOLS[c],
        symbolSize: 8,
        itemStyle: {
          color: CLASS_COLORS[c],
          opacity: 0.9,
          borderColor: 'rgba(0,0,0,0.55)',
          borderWidth: 0.5
        },
        tooltip: {
          formatter: (params) => {
            const [x, y] = (params as { value: number[] }).value
            return `${noun} ${className(classes, c)} · ${p.run.name}<br/>${xName} ${round2(x)}, ${yName} ${round2(y)}`
          }
        }
      })
    }
  })

  const option: EChartsOption = {
    ...baseOption(),
    title: titles,
    legend: {
      data: legendItems,
      top: legendTop,
      left: PAD.left,
      width: width - PAD.left - 12,
      ...LEGEND,
      textStyle: { color: TEXT_COLOR, fontSize: FONT_SIZE }
    },
    tooltip: { trigger: 'item' },
    grid: grids,
    xAxis: xAxes,
    yAxis: yAxes,
    series
  }
  const how = input.panels.some((p) => p.method !== 'mu')
    ? ' Runs with more than two latent dimensions are shown as a 2-D projection of μ.'
    : ''
  return {
    name: naming.name,
    title,
    width,
    height: headTop + rows * panelH,
    option,
    caption:
      naming.caption ??
      `Latent means μ of 24 test images per ${noun}, one panel per run; each ${noun} has its own ` +
        `colour and marker, and panels share their axis ranges.${how}`
  }
}
