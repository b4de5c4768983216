// PNG through resvg (a kept Rust rasteriser), from the same SVG the SVG export writes.
import { Resvg } from '@resvg/resvg-js'
import { FIGURE_FONT_FAMILY, figureFontFiles } from './figureFont'

/** Rasterises `svg` at `scale` device pixels per CSS pixel, with the shipped font only. */
export function renderPng(svg: string, scale: number): Uint8Array {
  const fonts = figureFontFiles()
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: {
      fontFiles: [fonts.regular, fonts.bold],
      loadSystemFonts: false,
      defaultFontFamily: FIGURE_FONT_FAMILY,
      sansSerifFamily: FIGURE_FONT_FAMILY
    },
    background: '#ffffff'
  })
  return resvg.render().asPng()
}
