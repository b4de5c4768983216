// Fig 8 of the seed: latent means of 24 test images per digit, coloured (and shaped) by label, one
// panel per run. 2-D runs are drawn as is; larger ones as a 2-D projection (see core/analysis).
import type {
  EChartsOption,
  ScatterSeriesOption,
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
import type { FigureOptions, FigureSpec, ScatterInput, ScatterPanel } from './figureInputs'
import { DIGIT_COLORS, DIGIT_SYMBOLS } from './palette'

const PLOT = 250
const PAD = { left: 58, right: 18, top: 50, bottom: 46 }
const LEGEND_HEIGHT = 30

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

/** The seed's Fig 8; `projectionFigure` draws the same panels under another title. */
export function scatterFigure(
  input: ScatterInput,
  opts: FigureOptions = {},
  naming = { name: 'scatter', title: 'Latent space of test images by digit' }
): FigureSpec {
  const n = Math.max(1, input.panels.length)
  const cols = n === 4 ? 2 : Math.min(n, 3)
  const rows = Math.ceil(n / cols)
  const showTitle = opts.title !== false
  const headTop = (showTitle ? TITLE_HEIGHT : 6) + LEGEND_HEIGHT
  const panelW = PAD.left + PLOT + PAD.right
  const panelH = PAD.top + PLOT + PAD.bottom
  const titles: TitleComponentOption[] = showTitle ? [titleBlock(naming.title)] : []
  const grids: NonNullable<EChartsOption['grid']> = []
  const xAxes: XAXisComponentOption[] = []
  const yAxes: YAXisComponentOption[] = []
  const series: ScatterSeriesOption[] = []

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
    xAxes.push(valueXAxis(xName, { gridIndex: i }))
    yAxes.push(valueYAxis(yName, { gridIndex: i, nameGap: 40 }))
    for (let d = 0; d < 10; d++) {
      const data = p.points.filter((_, j) => p.labels[j] === d).map(([x, y]) => [x, y])
      series.push({
        type: 'scatter',
        name: String(d),
        xAxisIndex: i,
        yAxisIndex: i,
        data,
        symbol: DIGIT_SYMBOLS[d],
        symbolSize: 7,
        itemStyle: {
          color: DIGIT_COLORS[d],
          opacity: 0.9,
          borderColor: 'rgba(0,0,0,0.55)',
          borderWidth: 0.5
        }
      })
    }
  })

  const option: EChartsOption = {
    ...baseOption(),
    title: titles,
    legend: {
      data: Array.from({ length: 10 }, (_, d) => String(d)),
      top: showTitle ? TITLE_HEIGHT : 6,
      left: PAD.left,
      itemWidth: 12,
      itemHeight: 12,
      itemGap: 14,
      textStyle: { color: TEXT_COLOR }
    },
    tooltip: { trigger: 'item' },
    grid: grids,
    xAxis: xAxes,
    yAxis: yAxes,
    series
  }
  return {
    name: naming.name,
    title: naming.title,
    width: cols * panelW,
    height: headTop + rows * panelH,
    option
  }
}
