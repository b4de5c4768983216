// Colours shared by every figure. Digits use the Okabe-Ito palette (Okabe & Ito 2008, safe for the
// common colour-vision deficiencies) plus Paul Tol's olive and wine for the two it lacks; each digit
// also gets its own marker shape, so no pair of digits is told apart by hue alone.

/** Colour of digit d (0..9). Okabe-Ito's yellow is last-but-one: it is the weakest on white. */
export const DIGIT_COLORS: readonly string[] = [
  '#0072B2', // 0 blue
  '#E69F00', // 1 orange
  '#009E73', // 2 bluish green
  '#D55E00', // 3 vermillion
  '#56B4E9', // 4 sky blue
  '#CC79A7', // 5 reddish purple
  '#000000', // 6 black
  '#999933', // 7 olive (Tol)
  '#F0E442', // 8 yellow
  '#882255' // 9 wine (Tol)
]

/** Marker shape of digit d: a second channel beside colour. */
export const DIGIT_SYMBOLS: readonly string[] = [
  'circle',
  'rect',
  'triangle',
  'diamond',
  'circle',
  'rect',
  'triangle',
  'diamond',
  'circle',
  'rect'
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
