import { decode } from 'fast-png'
import { describe, expect, it } from 'vitest'
import { gridImage, pngScale } from '../../../../src-main/common/figures/imageGrid'
import { squares } from '../../../helpers/exportFixtures'

function decodeUrl(url: string) {
  expect(url.startsWith('data:image/png;base64,')).toBe(true)
  return decode(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64'))
}

describe('gridImage', () => {
  it('lays tiles out row by row with white gaps, enlarged by nearest neighbour', () => {
    const images = squares(6)
    const g = gridImage(images, 2, 3, 1, 3)
    expect([g.pngWidth, g.pngHeight]).toEqual([(3 * 29 - 1) * 3, (2 * 29 - 1) * 3])
    const png = decodeUrl(g.url)
    expect([png.width, png.height, png.channels]).toEqual([g.pngWidth, g.pngHeight, 1])
    const at = (x: number, y: number) => png.data[y * png.width + x]
    // Tile 4 (row 1, column 1) starts at image pixel (29, 29); each image pixel is a 3 x 3 block.
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const want = images[4 * 784 + r * 28 + c]
        for (const [dx, dy] of [
          [0, 0],
          [2, 2],
          [1, 2]
        ])
          expect(at((29 + c) * 3 + dx, (29 + r) * 3 + dy)).toBe(want)
      }
    }
    // The gap between tiles is white.
    expect(at(28 * 3 + 1, 10)).toBe(255)
  })

  it('chooses enough PNG pixels per image pixel for the device pixel ratio', () => {
    expect(pngScale(1, 'native')).toBe(1)
    expect(pngScale(2, 1)).toBe(2)
    expect(pngScale(1, 2)).toBe(2)
    expect(pngScale(2, 1.5)).toBe(3)
  })
})
