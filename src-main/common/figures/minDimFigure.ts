// The seed's first open question: the minimal latent dim per digit. A dims x digits table coloured
// by how far each dim's per-digit test -ELBO lies above that digit's best; the minimal dim is boxed.
import type { EChartsOption, HeatmapSeriesOption } from 'echarts'
import {
  baseOption,
  digitXAxis,
  MUTED_TEXT,
  TEXT_COLOR,
  TITLE_HEIGHT,
  titleBlock
} from './figureTheme'
import type { FigureOptions, FigureSpec, MinDimInput } from './figureInputs'

const CELL = { width: 54, height: 36 }
const PAD = { left: 84, right: 110, top: 26, bottom: 48 }

export function minDimFigure(input: MinDimInput, opts: FigureOptions = {}): FigureSpec {
  const showTitle = opts.title !== false
  const head = showTitle ? TITLE_HEIGHT + 22 : 6
  const plotW = 10 * CELL.width
  const plotH = Math.max(1, input.dims.length) * CELL.height
  const data: NonNullable<HeatmapSeriesOption['data']> = []
  let maxGap = input.tolerance
  input.dims.forEach((dim, y) => {
    for (let d = 0; d < 10; d++) {
      const v = input.nelbo[y]?.[d]
      const best = input.rows[d]?.bestNelbo
      if (v === null || v === undefined || best === null || best === undefined) continue
      const gap = v - best
      maxGap = Math.max(maxGap, gap)
      const minimal = input.rows[d].minimalDim === dim
      data.push({
        value: [d, y, Number(gap.toFixed(3))],
        itemStyle: minimal
          ? { borderColor: '#000000', borderWidth: 2.5 }
          : { borderColor: '#ffffff', borderWidth: 1 },
        label: { fontWeight: minimal ? 'bold' : 'normal' }
      })
    }
  })
  const title = 'Minimal latent dimension per digit'
  const subtitle = `boxed: smallest dim within ${input.tolerance} nat${input.tolerance === 1 ? '' : 's'} of the digit's best test −ELBO; cells: nats above the best`
  const option: EChartsOption = {
    ...baseOption(),
    title: showTitle ? titleBlock(title, subtitle) : undefined,
    tooltip: { position: 'top' },
    grid: { left: PAD.left, top: head + PAD.top, width: plotW, height: plotH, containLabel: false },
    xAxis: digitXAxis({ axisTick: { show: false }, axisLine: { show: false } }),
    yAxis: {
      type: 'category',
      inverse: true,
      data: input.dims.map((d) => String(d)),
      name: 'latent dim',
      nameLocation: 'middle',
      nameGap: 48,
      axisTick: { show: false },
      axisLine: { show: false },
      axisLabel: { color: TEXT_COLOR },
      nameTextStyle: { color: TEXT_COLOR }
    },
    visualMap: {
      type: 'continuous',
      min: 0,
      max: Number(maxGap.toFixed(3)),
      dimension: 2,
      orient: 'vertical',
      right: 12,
      top: head + PAD.top,
      itemHeight: Math.max(60, plotH - 30),
      text: [`+${maxGap.toFixed(0)} nats`, '0'],
      textStyle: { color: MUTED_TEXT },
      calculable: false,
      // Sequential light-to-mid blue (ColorBrewer Blues): readable black labels on every cell.
      inRange: { color: ['#f7fbff', '#c6dbef', '#6baed6'] }
    },
    series: [
      {
        type: 'heatmap',
        data,
        label: {
          show: true,
          color: TEXT_COLOR,
          formatter: (p) => formatGap((p.value as number[])[2])
        }
      }
    ]
  }
  return {
    name: 'mindim',
    title,
    width: PAD.left + plotW + PAD.right,
    height: head + PAD.top + plotH + PAD.bottom,
    option
  }
}

function formatGap(v: number): string {
  return v < 0.05 ? '0' : v < 10 ? `+${v.toFixed(1)}` : `+${v.toFixed(0)}`
}
