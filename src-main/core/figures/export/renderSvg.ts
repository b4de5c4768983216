// ECharts server-side rendering to an SVG string (echarts.apache.org handbook, "Server Side
// Rendering"; pitfalls.md section 6): one throwaway instance per figure, disposed at once.
import * as echarts from 'echarts'
import type { FigureSpec } from '../../../common/figures/figureInputs'
import { useFigureFontMetrics } from './textMetrics'

/**
 * The SVG of a figure, as the UI draws it. Embedded images get `image-rendering="optimizeSpeed"`,
 * which resvg and browsers honour with nearest-neighbour scaling: digit pixels stay square at any zoom.
 */
export function renderSvg(spec: FigureSpec): string {
  useFigureFontMetrics()
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: spec.width,
    height: spec.height
  })
  try {
    chart.setOption({ ...spec.option, animation: false })
    return chart.renderToSVGString().replace(/<image /g, '<image image-rendering="optimizeSpeed" ')
  } finally {
    chart.dispose()
  }
}
