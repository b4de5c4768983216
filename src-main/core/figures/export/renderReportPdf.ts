// report.pdf as a report: A4 pages throughout; a title page (sweep, dataset, date, code version);
// the metrics table; each run's protocol line and configuration; then every figure scaled to the
// page with a numbered caption saying what it shows. pdfkit + svg-to-pdfkit (pitfalls.md section 6),
// text in the shipped DejaVu Sans.
import PDFDocument from 'pdfkit'
import SVGtoPDF from 'svg-to-pdfkit'
import { figureFontFiles } from './figureFont'

export interface ReportFigure {
  svg: string
  /** CSS pixels. */
  width: number
  height: number
  caption: string
}

export interface ReportRun {
  id: number
  name: string
  latent: number
  dataset: string
  status: string
  epochs: string
  nelbo: number | null
  rec: number | null
  kl: number | null
  activeUnits: string | null
  /** k-NN accuracy of the class labels in the latent space, 0..1. */
  knn: number | null
  config: [string, string][]
  protocol: string
  codeVersion: string
}

export interface ReportContent {
  title: string
  sweeps: string[]
  datasets: string[]
  date: Date
  codeVersion: string
  runs: ReportRun[]
  figures: ReportFigure[]
  skipped: string[]
}

/** A4 portrait, in points. */
export const PAGE = { width: 595.28, height: 841.89, margin: 56 }
const PT_PER_PX = 72 / 96
const INNER = PAGE.width - 2 * PAGE.margin
const BOTTOM = PAGE.height - PAGE.margin

const n2 = (v: number | null) => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(2))

export function renderReportPdf(r: ReportContent): Promise<Uint8Array> {
  const fonts = figureFontFiles()
  const doc = new PDFDocument({
    size: [PAGE.width, PAGE.height],
    margin: PAGE.margin,
    bufferPages: true,
    compress: true,
    info: { Title: `${r.title}: ${r.sweeps.join(', ')}`, Creator: 'VAE Lab' }
  })
  doc.registerFont('DejaVu', fonts.regular)
  doc.registerFont('DejaVu-Bold', fonts.bold)
  const chunks: Buffer[] = []
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c))
    doc.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))))
    doc.on('error', reject)
  })
  const text = (s: string, size: number, bold = false, o: PDFKit.Mixins.TextOptions = {}) =>
    doc
      .font(bold ? 'DejaVu-Bold' : 'DejaVu')
      .fontSize(size)
      .fillColor('#222222')
      .text(s, o)
  const heading = (s: string) => {
    if (doc.y > BOTTOM - 80) doc.addPage()
    doc.moveDown(0.6)
    text(s, 14, true)
    doc.moveDown(0.4)
  }

  // Title page.
  doc.y = PAGE.margin + 140
  text(r.title, 26, true)
  doc.moveDown(1.2)
  const meta: [string, string][] = [
    [r.sweeps.length > 1 ? 'Sweeps' : 'Sweep', r.sweeps.join(', ')],
    [r.datasets.length > 1 ? 'Datasets' : 'Dataset', r.datasets.join(', ')],
    ['Runs', String(r.runs.length)],
    ['Date', r.date.toISOString().slice(0, 16).replace('T', ' ') + ' UTC'],
    ['Code version', r.codeVersion]
  ]
  for (const [k, v] of meta) {
    const y = doc.y
    doc
      .font('DejaVu-Bold')
      .fontSize(11)
      .fillColor('#222222')
      .text(k, PAGE.margin, y, { width: 110 })
    const below = doc.y
    doc.font('DejaVu').text(v, PAGE.margin + 120, y, { width: INNER - 120 })
    doc.x = PAGE.margin
    doc.y = Math.max(below, doc.y) + 4
  }
  doc.moveDown(1.5)
  text(
    `Contents: Table 1, the test metrics of every run; then each run's protocol and configuration; ` +
      `then Figures 1-${r.figures.length}. Losses are in nats per image (lower is better).`,
    10
  )
  if (r.skipped.length) {
    doc.moveDown(0.8)
    text('Left out:', 10, true)
    for (const s of r.skipped) text(`• ${s}`, 9)
  }

  // Table 1: metrics.
  doc.addPage()
  text('Table 1. Test metrics of each run (nats per image).', 12, true)
  doc.moveDown(0.6)
  const cols: { head: string; w: number; cell: (run: ReportRun) => string; right?: boolean }[] = [
    { head: 'Run', w: 135, cell: (x) => `#${x.id} ${x.name}` },
    { head: 'Latent', w: 38, cell: (x) => String(x.latent), right: true },
    { head: 'Dataset', w: 60, cell: (x) => x.dataset },
    { head: 'Epochs', w: 44, cell: (x) => x.epochs, right: true },
    { head: '−ELBO', w: 48, cell: (x) => n2(x.nelbo), right: true },
    { head: 'rec', w: 44, cell: (x) => n2(x.rec), right: true },
    { head: 'KL', w: 38, cell: (x) => n2(x.kl), right: true },
    { head: 'AU', w: 34, cell: (x) => x.activeUnits ?? '—', right: true },
    {
      head: 'k-NN',
      w: 42,
      cell: (x) => (x.knn === null ? '—' : `${(100 * x.knn).toFixed(0)}%`),
      right: true
    }
  ]
  const row = (cells: string[], bold: boolean) => {
    if (doc.y > BOTTOM - 20) doc.addPage()
    const y = doc.y
    let x = PAGE.margin
    cells.forEach((c, i) => {
      doc
        .font(bold ? 'DejaVu-Bold' : 'DejaVu')
        .fontSize(8.5)
        .fillColor('#222222')
        .text(c, x, y, {
          width: cols[i].w - 4,
          align: cols[i].right ? 'right' : 'left',
          lineBreak: false,
          ellipsis: true
        })
      x += cols[i].w
    })
    doc.x = PAGE.margin
    doc.y = y + 14
    doc
      .moveTo(PAGE.margin, doc.y - 2)
      .lineTo(PAGE.margin + INNER, doc.y - 2)
      .lineWidth(0.3)
      .strokeColor('#bbbbbb')
      .stroke()
  }
  row(
    cols.map((c) => c.head),
    true
  )
  for (const run of r.runs)
    row(
      cols.map((c) => c.cell(run)),
      false
    )
  doc.moveDown(0.5)
  text(
    'AU: active units, Var_x(E_q[z_j | x]) > 0.01 (Burda et al.). k-NN: leave-one-out accuracy of the class labels from the latent means.',
    8
  )

  // Each run's protocol and configuration.
  doc.addPage()
  text('Runs: protocol and configuration', 12, true)
  for (const run of r.runs) {
    heading(`Run #${run.id}: ${run.name}`)
    text(run.protocol, 9.5)
    doc.moveDown(0.4)
    const half = INNER / 2
    run.config.forEach(([k, v], i) => {
      if (doc.y > BOTTOM - 14) doc.addPage()
      const x = PAGE.margin + (i % 2) * half
      const y = doc.y
      doc
        .font('DejaVu-Bold')
        .fontSize(8.5)
        .fillColor('#555555')
        .text(k, x, y, { width: 90, lineBreak: false })
      doc
        .font('DejaVu')
        .fontSize(8.5)
        .fillColor('#222222')
        .text(v, x + 92, y, { width: half - 96, lineBreak: false, ellipsis: true })
      doc.x = PAGE.margin
      doc.y = i % 2 === 0 ? y : y + 13
    })
    if (run.config.length % 2 === 1) doc.y += 13
    text(`Status ${run.status}; code ${run.codeVersion}`, 8)
  }

  // Figures, one per page, scaled to the text block, each with its numbered caption.
  r.figures.forEach((f, i) => {
    doc.addPage()
    const captionH = doc
      .font('DejaVu')
      .fontSize(9.5)
      .heightOfString(`Figure ${i + 1}. ${f.caption}`, { width: INNER })
    const maxH = PAGE.height - 2 * PAGE.margin - captionH - 16
    const scale = Math.min(INNER / (f.width * PT_PER_PX), maxH / (f.height * PT_PER_PX), 1)
    const w = f.width * PT_PER_PX * scale
    const h = f.height * PT_PER_PX * scale
    const x = PAGE.margin + (INNER - w) / 2
    // The types declare `doc` as the class, not an instance; the library takes the instance.
    SVGtoPDF(doc as unknown as typeof PDFDocument, f.svg, x, PAGE.margin, {
      width: w,
      height: h,
      preserveAspectRatio: 'xMidYMin meet',
      fontCallback: (_family, bold) => (bold ? 'DejaVu-Bold' : 'DejaVu'),
      warningCallback: () => {}
    })
    doc.x = PAGE.margin
    doc.y = PAGE.margin + h + 12
    doc
      .font('DejaVu-Bold')
      .fontSize(9.5)
      .fillColor('#222222')
      .text(`Figure ${i + 1}. `, { continued: true, width: INNER })
    doc.font('DejaVu').text(f.caption, { width: INNER })
  })

  // Page numbers on every page but the title page.
  const range = doc.bufferedPageRange()
  for (let p = range.start + 1; p < range.start + range.count; p++) {
    doc.switchToPage(p)
    // Below the bottom margin pdfkit would start a new page for the footer.
    doc.page.margins.bottom = 0
    doc
      .font('DejaVu')
      .fontSize(8)
      .fillColor('#777777')
      .text(`${r.title} · ${p + 1} / ${range.count}`, PAGE.margin, PAGE.height - PAGE.margin / 2, {
        width: INNER,
        align: 'center',
        lineBreak: false
      })
  }
  doc.end()
  return done
}
