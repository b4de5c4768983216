// ECharts lays out legends, titles and labels by measuring text. Without a canvas (SSR) it guesses
// with Helvetica-like widths, but exports draw DejaVu Sans, about 10% wider: legend labels then
// run into the next item. Measuring with the shipped font itself (through pdfkit's font engine)
// makes the layout match the drawn text.
import * as echarts from 'echarts'
import PDFDocument from 'pdfkit'
import { figureFontFiles } from './figureFont'

let installed = false

/** Makes ECharts measure text in DejaVu Sans; idempotent. Call before rendering figures in Node. */
export function useFigureFontMetrics(): void {
  if (installed) return
  const fonts = figureFontFiles()
  const doc = new PDFDocument({ autoFirstPage: false })
  doc.registerFont('regular', fonts.regular)
  doc.registerFont('bold', fonts.bold)
  echarts.setPlatformAPI({
    measureText(text: string, font?: string) {
      const size = Number(/(\d+(?:\.\d+)?)px/.exec(font ?? '')?.[1] ?? 12)
      const bold = /\b(bold|bolder|[6-9]00)\b/.test(font ?? '')
      return {
        width: doc
          .font(bold ? 'bold' : 'regular')
          .fontSize(size)
          .widthOfString(text ?? '')
      }
    }
  })
  installed = true
}
