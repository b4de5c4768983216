// Helpers for the figure and export tests: small hand-made figure inputs, in-process CLI runs with
// captured output, and decoding of what an export wrote.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { decode } from 'fast-png'
import { IMAGE_PIXELS, type RunLabel } from '../../src-main/common/figures/figureInputs'

export const BIN = path.resolve(__dirname, '../../bin/vae-lab.js')

export const label = (runId: number, latentDim: number): RunLabel => ({
  runId,
  latentDim,
  name: `latent ${latentDim}`
})

/** `count` 28 x 28 images: image i is a bright square whose size grows with i on black. */
export function squares(count: number): Uint8Array {
  const out = new Uint8Array(count * IMAGE_PIXELS)
  for (let i = 0; i < count; i++) {
    const s = 4 + (i % 10) * 2
    for (let r = 14 - s / 2; r < 14 + s / 2; r++)
      for (let c = 14 - s / 2; c < 14 + s / 2; c++) out[i * IMAGE_PIXELS + r * 28 + c] = 255
  }
  return out
}

/** Trains tiny runs through the CLI (a few seconds) and returns their ids in the order of `latents`. */
export function trainTinyRuns(
  db: string,
  latents: number[],
  sweep: string,
  extra: string[] = []
): number[] {
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'train',
      '--latent',
      latents.join(','),
      '--epochs',
      '1',
      '--limit-train',
      '1000',
      '--limit-test',
      '300',
      '--hidden',
      '32',
      '--json',
      '--sweep',
      sweep,
      '--db',
      db,
      ...extra
    ],
    { encoding: 'utf8', timeout: 120_000 }
  )
  if (r.status !== 0) throw new Error(`training failed (${r.status}): ${r.stderr}`)
  const runs = JSON.parse(r.stdout) as { id: number; latent: number; status: string }[]
  return latents.map((l) => runs.find((x) => x.latent === l)!.id)
}

/** A write stream that keeps what is written. */
export function captureStream(): NodeJS.WriteStream & { text: () => string } {
  let text = ''
  return {
    isTTY: false,
    write(chunk: string | Uint8Array) {
      text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
      return true
    },
    text: () => text
  } as unknown as NodeJS.WriteStream & { text: () => string }
}

/** Every file below `dir`, as paths relative to it with '/'. */
export function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .map((f) => f.split(path.sep).join('/'))
    .sort()
}

/** A PNG as grey levels (the first channel), with its size. */
export function readPng(file: string): {
  width: number
  height: number
  grey: (x: number, y: number) => number
} {
  const png = decode(fs.readFileSync(file))
  const ch = png.channels
  return {
    width: png.width,
    height: png.height,
    grey: (x, y) => png.data[(y * png.width + x) * ch]
  }
}

/** Standard deviation of grey levels in a rectangle: 0 for a blank (flat) tile. */
export function greyStd(
  img: ReturnType<typeof readPng>,
  x0: number,
  y0: number,
  w: number,
  h: number
): number {
  let s = 0
  let s2 = 0
  for (let y = y0; y < y0 + h; y++)
    for (let x = x0; x < x0 + w; x++) {
      const v = img.grey(x, y)
      s += v
      s2 += v * v
    }
  const n = w * h
  return Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2))
}
