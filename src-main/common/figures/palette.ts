// Colours shared by every figure. Each class gets a colour AND a marker shape of its own, so no
// two classes are told apart by hue alone: Okabe & Ito's (2008) colour-blind-safe set without its
// sky blue (too close to its blue), plus purple, brown and Paul Tol's olive.

/** Colour of class c (0..9): ten distinct hues; yellow, the weakest on white, is last-but-one. */
export const CLASS_COLORS: readonly string[] = [
  '#0072B2', // 0 blue
  '#E69F00', // 1 orange
  '#009E73', // 2 bluish green
  '#D55E00', // 3 vermillion
  '#6A3D9A', // 4 purple
  '#CC79A7', // 5 reddish purple (pink)
  '#000000', // 6 black
  '#999933', // 7 olive (Tol)
  '#F0E442', // 8 yellow
  '#8C564B' // 9 brown
]

// Shapes beyond ECharts' built-ins, as SVG paths in a 0..10 box (ECharts scales them to size).
const path = (d: string) => `path://${d}`
const TRIANGLE_DOWN = path('M0 0L10 0L5 9Z')
const PLUS = path('M3.5 0H6.5V3.5H10V6.5H6.5V10H3.5V6.5H0V3.5H3.5Z')
const CROSS = path('M2.1 0L5 2.9L7.9 0L10 2.1L7.1 5L10 7.9L7.9 10L5 7.1L2.1 10L0 7.9L2.9 5L0 2.1Z')
const STAR = path('M5 0L6.2 3.6L10 3.6L6.9 5.9L8.1 9.5L5 7.3L1.9 9.5L3.1 5.9L0 3.6L3.8 3.6Z')
const HEXAGON = path('M2.5 0.7H7.5L10 5L7.5 9.3H2.5L0 5Z')

/** Marker shape of class c: ten distinct shapes, a second channel beside colour. */
export const CLASS_SYMBOLS: readonly string[] = [
  'circle',
  'rect',
  'triangle',
  'diamond',
  TRIANGLE_DOWN,
  PLUS,
  CROSS,
  STAR,
  HEXAGON,
  'pin'
]

/** Colours of runs in overlaid plots (curves, bars): Okabe-Ito without yellow, in a readable order. */
export const RUN_COLORS: readonly string[] = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#999933'
]

export function runColor(i: number): string {
  return RUN_COLORS[i % RUN_COLORS.length]
}
