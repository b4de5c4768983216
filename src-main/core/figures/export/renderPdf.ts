// PDF through pdfkit + svg-to-pdfkit, which work in Node without a DOM (svg2pdf.js does not;
// pitfalls.md section 6): one page per figure, each page the figure's own size, text in the
// shipped DejaVu Sans so the PDF matches the PNG.
import PDFDocument from 'pdfkit'
import SVGtoPDF from 'svg-to-pdfkit'
import { figureFontFiles } from './figureFont'

export interface PdfPage {
  svg: string
  /** CSS pixels; the page is the same size at 96 px per inch. */
  width: number
  height: number
}

const PT_PER_PX = 72 / 96

export function renderPdf(
  pages: readonly PdfPage[],
  info: { title: string } = { title: 'VAE Lab figures' }
): Promise<Uint8Array> {
  const fonts = figureFontFiles()
  const doc = new PDFDocument({
    autoFirstPage: false,
    compress: true,
    info: { Title: info.title, Creator: 'VAE Lab' }
  })
  doc.registerFont('DejaVu', fonts.regular)
  doc.registerFont('DejaVu-Bold', fonts.bold)
  const chunks: Buffer[] = []
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c))
    doc.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))))
    doc.on('error', reject)
  })
  for (const page of pages) {
    const w = page.width * PT_PER_PX
    const h = page.height * PT_PER_PX
    doc.addPage({ size: [w, h], margin: 0 })
    // The types declare `doc` as the class, not an instance; the library takes the instance.
    SVGtoPDF(doc as unknown as typeof PDFDocument, page.svg, 0, 0, {
      width: w,
      height: h,
      fontCallback: (_family, bold) => (bold ? 'DejaVu-Bold' : 'DejaVu'),
      warningCallback: () => {}
    })
  }
  doc.end()
  return done
}
