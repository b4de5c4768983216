// Text in PNG and PDF exports uses one shipped font, never the system's: resvg drops all text
// silently when it finds no font (pitfalls.md section 6), and output must not vary by machine.
import path from 'node:path'

/** DejaVu Sans, from the npm package dejavu-fonts-ttf (Bitstream Vera licence, free to embed). */
export const FIGURE_FONT_FAMILY = 'DejaVu Sans'

export function figureFontFiles(): { regular: string; bold: string } {
  const dir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf')
  return { regular: path.join(dir, 'DejaVuSans.ttf'), bold: path.join(dir, 'DejaVuSans-Bold.ttf') }
}
