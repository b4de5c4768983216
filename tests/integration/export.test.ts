// `vae-lab export` end to end on tiny real runs (trained through the CLI in a few seconds), in
// process through main(): the same parser, handler and exit codes as the command line.
import fs from 'node:fs'
import path from 'node:path'
import { DOMParser } from '@xmldom/xmldom'
import { PDFDocument } from 'pdf-lib'
import { beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src-main/adapters/cli/main'
import { tempDir } from '../helpers/fixtures'
import {
  captureStream,
  filesBelow,
  greyStd,
  readPng,
  trainTinyRuns
} from '../helpers/exportFixtures'

let db = ''
let ids: number[] = []
const SWEEP = 'tiny4'

async function vaeLab(args: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  // main's default streams are typed as process.stdout/stderr (with their fd); captures stand in for them.
  const code = await main(['node', 'vae-lab', ...args, '--db', db], {
    stdout,
    stderr
  } as unknown as Parameters<typeof main>[1])
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

beforeAll(() => {
  db = path.join(tempDir(), 'runs.sqlite')
  ids = trainTinyRuns(db, [2, 5, 10, 50], SWEEP)
})

describe('vae-lab export', () => {
  it('writes recon and manifold as SVG that parses, with the expected structure', async () => {
    const out = path.join(tempDir(), 'svg')
    const r = await vaeLab([
      'export',
      '--runs',
      ids.join(','),
      '--figures',
      'recon,manifold',
      '--format',
      'svg',
      '--out',
      out
    ])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(filesBelow(out)).toEqual([`manifold-run-${ids[0]}.svg`, 'recon.svg'])
    const doc = new DOMParser().parseFromString(
      fs.readFileSync(path.join(out, 'recon.svg'), 'utf8'),
      'image/svg+xml'
    )
    expect(doc.documentElement!.tagName).toBe('svg')
    const texts = Array.from(doc.getElementsByTagName('text')).map((t) => t.textContent)
    expect(texts).toEqual(
      expect.arrayContaining(['original', 'latent 2', 'latent 5', 'latent 10', 'latent 50'])
    )
    expect(doc.getElementsByTagName('image')).toHaveLength(1)
    expect(r.stdout).toContain('note: manifold: drawn for 2-D runs only')
  })

  it('writes a PNG of scale x the figure size whose digit tiles are not blank', async () => {
    const out = path.join(tempDir(), 'png')
    const svgOut = path.join(tempDir(), 'svg')
    expect(
      (
        await vaeLab([
          'export',
          '--runs',
          ids.join(','),
          '--figures',
          'recon',
          '--format',
          'png',
          '--scale',
          '2',
          '--out',
          out
        ])
      ).code
    ).toBe(0)
    expect(
      (
        await vaeLab([
          'export',
          '--runs',
          ids.join(','),
          '--figures',
          'recon',
          '--format',
          'svg',
          '--out',
          svgOut
        ])
      ).code
    ).toBe(0)
    // Where the tiles are: the SVG's size and its one <image> element.
    const svg = new DOMParser().parseFromString(
      fs.readFileSync(path.join(svgOut, 'recon.svg'), 'utf8'),
      'image/svg+xml'
    )
    const image = svg.getElementsByTagName('image')[0]
    const [left, top] = /translate\(([\d.]+) ([\d.]+)\)/
      .exec(image.getAttribute('transform')!)!
      .slice(1)
      .map(Number)
    const png = readPng(path.join(out, 'recon.png'))
    expect([png.width, png.height]).toEqual([
      2 * Number(svg.documentElement!.getAttribute('width')),
      2 * Number(svg.documentElement!.getAttribute('height'))
    ])
    // 5 rows (originals + 4 runs) x 10 tiles of 56 CSS px with 2 px gaps; sample the inner 40 x 40 of each.
    for (let row = 0; row < 5; row++) {
      for (let col = 0; col < 10; col++) {
        const x = Math.round((left + col * 58 + 8) * 2)
        const y = Math.round((top + row * 58 + 8) * 2)
        expect(greyStd(png, x, y, 80, 80), `tile row ${row} col ${col}`).toBeGreaterThan(3)
      }
    }
  })

  it('writes a report: one A4 PDF with a page per figure, figures in the chosen format, metrics as CSV and JSON, configs', async () => {
    const out = path.join(tempDir(), 'report')
    const r = await vaeLab(['export', '--sweep', SWEEP, '--report', '--out', out, '--json'])
    expect(r.code).toBe(0)
    const result = JSON.parse(r.stdout) as { files: string[]; runIds: number[] }
    expect(result.runIds).toEqual(ids)
    // With PCA the projection is Fig 8 itself (its k-NN scores are on the scatter): no twin figure.
    const figures = ['curves', 'mindim', `manifold-run-${ids[0]}`, 'perdigit', 'recon', 'scatter']
    expect(filesBelow(out)).toEqual(
      [
        ...ids.map((id) => `configs/run-${id}.json`),
        'epochs.csv',
        ...figures.map((f) => `figures/${f}.png`),
        'metrics.json',
        'mindim.csv',
        'report.pdf',
        'runs.csv'
      ].sort()
    )
    const pdf = await PDFDocument.load(fs.readFileSync(path.join(out, 'report.pdf')))
    // Title page, Table 1, the runs' protocols (one page or more), then one page per figure.
    expect(pdf.getPageCount()).toBeGreaterThanOrEqual(figures.length + 3)
    const sizes = new Set(
      pdf
        .getPages()
        .map((p) => p.getSize())
        .map((s) => `${s.width.toFixed(1)}x${s.height.toFixed(1)}`)
    )
    expect([...sizes]).toEqual(['595.3x841.9'])
    expect(pdf.getTitle()).toContain(SWEEP)
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'))
    expect(metrics.runs.map((x: { latentDim: number }) => x.latentDim)).toEqual([2, 5, 10, 50])
    expect(metrics.minimalLatentDim.rows).toHaveLength(10)
    const runsCsv = fs.readFileSync(path.join(out, 'runs.csv'), 'utf8').trim().split('\n')
    expect(runsCsv).toHaveLength(5)
    expect(runsCsv[0]).toContain('knn_accuracy_latent')
    expect(fs.readFileSync(path.join(out, 'mindim.csv'), 'utf8').trim().split('\n')).toHaveLength(
      11
    )
    expect(
      JSON.parse(fs.readFileSync(path.join(out, `configs/run-${ids[1]}.json`), 'utf8')).config
        .latentDim
    ).toBe(5)
  })

  it('decodes a manifold at another grid and range from the weights, as one PDF page', async () => {
    const out = path.join(tempDir(), 'pdf')
    const r = await vaeLab([
      'export',
      '--runs',
      String(ids[0]),
      '--figures',
      'manifold',
      '--format',
      'pdf',
      '--manifold-grid',
      '8',
      '--manifold-range',
      '-2,2',
      '--out',
      out
    ])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const pdf = await PDFDocument.load(
      fs.readFileSync(path.join(out, `manifold-run-${ids[0]}.pdf`))
    )
    expect(pdf.getPageCount()).toBe(1)
  })

  it.each([
    [
      'an unknown run',
      () => ['--runs', '9999', '--figures', 'recon'],
      '--runs: no run with id 9999'
    ],
    [
      'a manifold of a 5-D run',
      () => ['--runs', String(ids[1]), '--figures', 'manifold'],
      'the manifold figure needs a run with a 2-D latent space, but run'
    ],
    [
      'an unknown sweep',
      () => ['--sweep', 'nope', '--report'],
      '--sweep: no runs in a sweep named "nope"'
    ],
    [
      'an unknown figure',
      () => ['--runs', String(ids[0]), '--figures', 'recon,pie'],
      '--figures: figures must be among'
    ],
    [
      'no figures and no report',
      () => ['--runs', String(ids[0])],
      '--figures: give the figures to export'
    ]
  ])('exits 2 with a clear message and leaves no files for %s', async (_what, args, message) => {
    const parent = tempDir()
    const out = path.join(parent, 'out')
    const r = await vaeLab(['export', ...args(), '--out', out])
    expect(r.stderr).toContain(message)
    expect(r.code).toBe(2)
    expect(fs.readdirSync(parent)).toEqual([])
  })

  it('exits 2 for an output directory that cannot be written, leaving nothing behind', async () => {
    const parent = tempDir()
    fs.writeFileSync(path.join(parent, 'a-file'), 'x')
    const r = await vaeLab([
      'export',
      '--runs',
      ids.join(','),
      '--report',
      '--out',
      path.join(parent, 'a-file', 'out')
    ])
    expect(r.stderr).toContain('--out: cannot write to')
    expect(r.stderr).toContain('is a file')
    expect(r.code).toBe(2)
    expect(fs.readdirSync(parent)).toEqual(['a-file'])
    // /proc refuses new entries even for root, where permission bits would not.
    const proc = await vaeLab([
      'export',
      '--runs',
      String(ids[0]),
      '--figures',
      'recon',
      '--out',
      '/proc/vae-lab-export-test'
    ])
    expect(proc.code).toBe(2)
    expect(proc.stderr).toContain('--out: cannot write to /proc/vae-lab-export-test')
  })
})
