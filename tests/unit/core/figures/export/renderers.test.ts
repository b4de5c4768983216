import fs from 'node:fs'
import path from 'node:path'
import { DOMParser } from '@xmldom/xmldom'
import { decode } from 'fast-png'
import { PDFDocument } from 'pdf-lib'
import { describe, expect, it } from 'vitest'
import { reconFigure } from '../../../../../src-main/common/figures/reconFigure'
import { perDigitFigure } from '../../../../../src-main/common/figures/perDigitFigure'
import { renderPdf } from '../../../../../src-main/core/figures/export/renderPdf'
import { renderPng } from '../../../../../src-main/core/figures/export/renderPng'
import { renderSvg } from '../../../../../src-main/core/figures/export/renderSvg'
import { StagedDirectory } from '../../../../../src-main/core/figures/export/stagedDirectory'
import { tempDir } from '../../../../helpers/fixtures'
import { filesBelow, label, squares } from '../../../../helpers/exportFixtures'

const recon = reconFigure(
  {
    labels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    originals: squares(10),
    rows: [{ run: label(1, 2), images: squares(10) }]
  },
  { pixelRatio: 'native' }
)

describe('figure renderers', () => {
  it('renderSvg: a standalone SVG of the figure size, text as text, the grid as one nearest-neighbour image', () => {
    const svg = renderSvg(recon)
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml')
    const root = doc.documentElement!
    expect(root.tagName).toBe('svg')
    expect([root.getAttribute('width'), root.getAttribute('height')]).toEqual([
      String(recon.width),
      String(recon.height)
    ])
    const images = Array.from(doc.getElementsByTagName('image'))
    expect(images).toHaveLength(1)
    expect(images[0].getAttribute('image-rendering')).toBe('optimizeSpeed')
    expect(images[0].getAttribute('href')).toMatch(/^data:image\/png;base64,/)
    const texts = Array.from(doc.getElementsByTagName('text')).map((t) => t.textContent)
    expect(texts).toEqual(
      expect.arrayContaining([
        'Reconstructions of ten test digits',
        'original',
        'latent 2',
        '0',
        '9'
      ])
    )
    expect(svg).not.toContain('@keyframes')
  })

  it('renderPng: scale x the figure size, text drawn with the shipped font, square pixels', () => {
    const png = decode(renderPng(renderSvg(recon), 2))
    expect([png.width, png.height]).toEqual([recon.width * 2, recon.height * 2])
    const ch = png.channels
    const grey = (x: number, y: number) => png.data[(y * png.width + x) * ch]
    // Title text is drawn (resvg drops text silently without a font): dark pixels in the title band.
    let dark = 0
    for (let y = 10; y < 60; y++) for (let x = 20; x < 500; x++) if (grey(x, y) < 100) dark++
    expect(dark).toBeGreaterThan(200)
    // The first tile is a 4 x 4 white square on black: each image pixel is a crisp 4 x 4 block at scale 2.
    const img = recon.option.graphic as { left: number; top: number }[]
    const x0 = img[0].left * 2
    const y0 = img[0].top * 2
    const levels = new Set<number>()
    for (let y = y0; y < y0 + 28 * 4; y++)
      for (let x = x0; x < x0 + 28 * 4; x++) levels.add(grey(x, y))
    expect([...levels].sort((a, b) => a - b)).toEqual([0, 255])
  })

  it('renderPdf: one page per figure, each the figure size at 96 px per inch', async () => {
    const bars = perDigitFigure({ runs: [{ run: label(1, 2), perDigit: Array(10).fill(120) }] })
    const bytes = await renderPdf(
      [recon, bars].map((s) => ({ svg: renderSvg(s), width: s.width, height: s.height }))
    )
    const pdf = await PDFDocument.load(bytes)
    expect(pdf.getPageCount()).toBe(2)
    const { width, height } = pdf.getPage(1).getSize()
    expect(width).toBeCloseTo(bars.width * 0.75, 3)
    expect(height).toBeCloseTo(bars.height * 0.75, 3)
    // The text font is embedded, not a standard-14 font that lacks '−' and 'μ'.
    expect(Buffer.from(bytes).toString('latin1')).toMatch(/\/FontName \/[A-Z]{6}\+DejaVuSans/)
  })
})

describe('StagedDirectory', () => {
  it('writes nothing into the target until commit, and nothing at all after abort', () => {
    const parent = tempDir()
    const target = path.join(parent, 'new', 'out')
    const a = StagedDirectory.open(target)
    a.write('figures/a.svg', '<svg/>')
    expect(fs.existsSync(target)).toBe(false)
    a.abort()
    expect(filesBelow(parent)).toEqual([])
    const b = StagedDirectory.open(target)
    b.write('figures/a.svg', '<svg/>')
    b.write('metrics.json', '{}')
    b.commit()
    expect(filesBelow(target)).toEqual(['figures/a.svg', 'metrics.json'])
    expect(fs.readdirSync(parent)).toEqual(['new'])
  })

  it('merges into an existing directory, replacing files of the same name', () => {
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine')
    fs.writeFileSync(path.join(dir, 'recon.png'), 'old')
    const s = StagedDirectory.open(dir)
    s.write('recon.png', 'new')
    s.commit()
    expect(filesBelow(dir)).toEqual(['keep.txt', 'recon.png'])
    expect(fs.readFileSync(path.join(dir, 'recon.png'), 'utf8')).toBe('new')
  })

  it('refuses a target below a file with INVALID_INPUT', () => {
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, 'f'), '')
    expect(() => StagedDirectory.open(path.join(dir, 'f', 'out'))).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('is a file')
      })
    )
  })
})
