// Text widths for laying out figures before they are drawn (label gutters, legend rows), so a
// label is never clipped. Widths are DejaVu Sans's advances, the font exports embed; it is wider
// than the usual browser sans-serif, so what fits here also fits on screen.

/** Advance widths of ASCII 32..126 in thousandths of an em, regular and bold (from the TTFs). */
const REGULAR = [
  318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636,
  636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632,
  575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685,
  611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579,
  278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838
]
const BOLD = [
  348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696,
  696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683,
  683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771,
  724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665,
  343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838
]
/** Characters outside ASCII: the widest of the common ones (−, …, wide letters) as a safe bound. */
const OTHER = 1000

/** Width in CSS pixels of `text` at `fontSize` px. */
export function textWidth(text: string, fontSize = 12, bold = false): number {
  const table = bold ? BOLD : REGULAR
  let units = 0
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0
    units += c >= 32 && c < 127 ? table[c - 32] : OTHER
  }
  return (units * fontSize) / 1000
}

/** `text` cut with an ellipsis to fit `max` px (shown whole when it fits). */
export function fitText(text: string, max: number, fontSize = 12, bold = false): string {
  if (textWidth(text, fontSize, bold) <= max) return text
  let s = text
  while (s.length > 1 && textWidth(`${s}…`, fontSize, bold) > max) s = s.slice(0, -1)
  return `${s.trimEnd()}…`
}

/**
 * Rows a horizontal legend of `items` needs within `width` px, as ECharts lays it out (icon,
 * gap to the text, text, then `itemGap` to the next item).
 */
export function legendRows(
  items: readonly string[],
  width: number,
  o: { fontSize?: number; iconWidth?: number; itemGap?: number } = {}
): number {
  const icon = (o.iconWidth ?? 25) + 5
  const gap = o.itemGap ?? 10
  let rows = 1
  let x = 0
  for (const item of items) {
    const w = icon + textWidth(item, o.fontSize ?? 12)
    if (x > 0 && x + w > width) {
      rows++
      x = 0
    }
    x += w + gap
  }
  return rows
}
