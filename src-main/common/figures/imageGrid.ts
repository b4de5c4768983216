// Image grids (Fig 6, Fig 7) are one PNG embedded in the chart: 400 digit tiles as 313,600 SVG rects
// would be megabytes, and a heatmap series is as heavy. fast-png is pure JS, so this runs in the renderer too.
import { encode } from 'fast-png'
import { IMAGE_PIXELS, IMAGE_SIDE, type FigureOptions, type GreyImages } from './figureInputs'

export interface GridImage {
  /** `data:image/png;base64,...` */
  url: string
  /** PNG size in pixels. */
  pngWidth: number
  pngHeight: number
}

/** PNG pixels per image pixel: enough for `pixelRatio` device pixels per CSS pixel, never blurred up by the renderer. */
export function pngScale(
  cssPerImagePixel: number,
  pixelRatio: FigureOptions['pixelRatio'] = 2
): number {
  if (pixelRatio === 'native') return 1
  return Math.max(1, Math.ceil(cssPerImagePixel * pixelRatio - 1e-9))
}

/**
 * Lays `rows * cols` 28 x 28 grey images out row by row, `gap` image pixels of white between them,
 * enlarged `scale` times by nearest neighbour, and encodes the result as a greyscale PNG data URL.
 */
export function gridImage(
  images: GreyImages,
  rows: number,
  cols: number,
  gap: number,
  scale: number
): GridImage {
  const cellW = IMAGE_SIDE + gap
  const width = (cols * cellW - gap) * scale
  const height = (rows * cellW - gap) * scale
  const data = new Uint8Array(width * height).fill(255)
  const count = Math.min(rows * cols, Math.floor(images.length / IMAGE_PIXELS))
  for (let t = 0; t < count; t++) {
    const x0 = (t % cols) * cellW * scale
    const y0 = Math.floor(t / cols) * cellW * scale
    const base = t * IMAGE_PIXELS
    for (let r = 0; r < IMAGE_SIDE; r++) {
      const line = (y0 + r * scale) * width + x0
      for (let c = 0; c < IMAGE_SIDE; c++)
        data.fill(images[base + r * IMAGE_SIDE + c], line + c * scale, line + (c + 1) * scale)
      // Copy the first enlarged line down: rows of a block are identical.
      for (let k = 1; k < scale; k++)
        data.copyWithin(line + k * width, line, line + IMAGE_SIDE * scale)
    }
  }
  const png = encode({ width, height, data, channels: 1, depth: 8 })
  return { url: `data:image/png;base64,${toBase64(png)}`, pngWidth: width, pngHeight: height }
}

/** btoa exists in browsers and Node >= 16; Buffer does not exist in the renderer. */
function toBase64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}
