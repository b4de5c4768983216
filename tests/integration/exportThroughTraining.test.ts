// Issue 17's CLI contract, line by line, on tiny real runs (two seeds of latent 2 and 5, two
// epochs each): the explorer's figures, per-epoch figures with --epoch, seed groups, --animate,
// and `runs show --json`'s kl_per_dim and figure epochs.
import fs from 'node:fs'
import path from 'node:path'
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
let seed1: number[] = []
let seed2: number[] = []

async function vaeLab(args: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(['node', 'vae-lab', ...args, '--db', db], {
    stdout,
    stderr
  } as unknown as Parameters<typeof main>[1])
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

/** The texts of an SVG file, in order. */
const svgTexts = (file: string) =>
  [...fs.readFileSync(file, 'utf8').matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1])

/** The embedded images of an SVG file (the tiles of an image grid). */
const svgImages = (file: string) =>
  [...fs.readFileSync(file, 'utf8').matchAll(/href="(data:image\/png;base64,[^"]+)"/g)].map(
    (m) => m[1]
  )

beforeAll(() => {
  db = path.join(tempDir(), 'runs.sqlite')
  seed1 = trainTinyRuns(db, [2, 5], 'seed1', ['--epochs', '2', '--seed', '1'])
  seed2 = trainTinyRuns(db, [2, 5], 'seed2', ['--epochs', '2', '--seed', '2'])
}, 240_000)

describe('issue 17 CLI contract', () => {
  it('writes one file per figure and run for traversal, interpolation, samples and kl-per-dim', async () => {
    const out = path.join(tempDir(), 'explorer')
    const r = await vaeLab([
      'export',
      '--runs',
      seed1.join(','),
      '--figures',
      'traversal,interpolation,samples,kl-per-dim',
      '--format',
      'png',
      '--out',
      out
    ])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const names = ['interpolation', 'kl-per-dim', 'samples', 'traversal']
    expect(filesBelow(out)).toEqual(
      names.flatMap((n) => seed1.map((id) => `${n}-run-${id}.png`)).sort()
    )
    // Decoded images, not blank canvases.
    const samples = readPng(path.join(out, `samples-run-${seed1[0]}.png`))
    expect(greyStd(samples, 0, 0, samples.width, samples.height)).toBeGreaterThan(5)
  })

  it('writes the epoch-1 reconstructions with --epoch 1, different from epoch 2', async () => {
    const one = path.join(tempDir(), 'e1')
    const two = path.join(tempDir(), 'e2')
    const args = (out: string, epoch: string) => [
      'export',
      '--runs',
      seed1.join(','),
      '--figures',
      'recon',
      '--epoch',
      epoch,
      '--format',
      'svg',
      '--out',
      out
    ]
    const r1 = await vaeLab(args(one, '1'))
    expect(r1.stderr).toBe('')
    expect(r1.code).toBe(0)
    expect(filesBelow(one)).toEqual(['recon.svg'])
    expect((await vaeLab(args(two, '2'))).code).toBe(0)
    const a = svgImages(path.join(one, 'recon.svg'))
    const b = svgImages(path.join(two, 'recon.svg'))
    expect(a.length).toBeGreaterThan(0)
    expect(a).not.toEqual(b)
  })

  it('refuses an epoch the run does not have with exit 2 and no files', async () => {
    const out = path.join(tempDir(), 'e9')
    const r = await vaeLab([
      'export',
      '--runs',
      seed1.join(','),
      '--figures',
      'recon',
      '--epoch',
      '9',
      '--format',
      'svg',
      '--out',
      out
    ])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no epoch 9.*epochs 1.2/)
    expect(filesBelow(out)).toEqual([])
  })

  it('draws curves of seed groups as mean ± sd with n when --group-seeds is given', async () => {
    const grouped = path.join(tempDir(), 'g')
    const plain = path.join(tempDir(), 'p')
    const args = (out: string, more: string[]) => [
      'export',
      '--runs',
      [...seed1, ...seed2].join(','),
      '--figures',
      'curves',
      ...more,
      '--format',
      'svg',
      '--out',
      out
    ]
    const r = await vaeLab(args(grouped, ['--group-seeds']))
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(filesBelow(grouped)).toEqual(['curves.svg'])
    const texts = svgTexts(path.join(grouped, 'curves.svg'))
    expect(texts).toContain('latent 2 (n = 2) · test')
    expect(texts).toContain('latent 5 (n = 2) · test')
    expect(texts.some((t) => t.includes('± 1 sd over seeds'))).toBe(true)
    expect((await vaeLab(args(plain, []))).code).toBe(0)
    expect(svgTexts(path.join(plain, 'curves.svg')).some((t) => t.includes('n = 2'))).toBe(false)
  })

  it('animates a per-epoch figure over the epochs as an APNG with --animate', async () => {
    const out = path.join(tempDir(), 'anim')
    const r = await vaeLab([
      'export',
      '--runs',
      String(seed1[0]),
      '--figures',
      'recon',
      '--animate',
      '--format',
      'png',
      '--out',
      out
    ])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const file = filesBelow(out).find((f) => f.endsWith('-animated.png'))!
    const bytes = fs.readFileSync(path.join(out, file))
    // An APNG's animation control chunk says how many frames: one per epoch.
    const at = bytes.indexOf('acTL')
    expect(at).toBeGreaterThan(0)
    expect(bytes.readUInt32BE(at + 4)).toBe(2)
  })

  it('includes kl_per_dim and the epochs with figure data in runs show --json', async () => {
    for (const [id, latent] of [
      [seed1[0], 2],
      [seed1[1], 5]
    ]) {
      const r = await vaeLab(['runs', 'show', String(id), '--json'])
      expect(r.code).toBe(0)
      const shown = JSON.parse(r.stdout) as { kl_per_dim: number[]; figure_epochs: number[] }
      expect(shown.kl_per_dim).toHaveLength(latent)
      expect(shown.kl_per_dim.every((v) => Number.isFinite(v) && v >= 0)).toBe(true)
      expect(shown.figure_epochs).toEqual([1, 2])
    }
  })
})
