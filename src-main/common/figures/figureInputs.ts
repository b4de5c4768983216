// Plain, JSON-serialisable data behind every figure. The builders in this folder turn it into
// ECharts options without Node, tfjs or SQLite, so the renderer draws the same options as exports.
import type { EChartsOption } from 'echarts'

/** Side of an MNIST image in pixels; images are row-major grey bytes, 0 = black. */
export const IMAGE_SIDE = 28
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE

/** `count` images of 28 x 28 grey bytes (0..255), one after another. */
export type GreyImages = Uint8Array | readonly number[]

/** How a run is named in legends and panel titles. */
export interface RunLabel {
  runId: number
  latentDim: number
  /** e.g. 'latent 2 (run 7)' */
  name: string
}

export interface LossPartsInput {
  nelbo: number
  rec: number
  kl: number
}

/** Fig 6: the same ten test images, originals first, then each run's reconstructions. */
export interface ReconInput {
  /** Digit label of each column. */
  labels: readonly number[]
  originals: GreyImages
  rows: readonly { run: RunLabel; images: GreyImages }[]
}

/** Fig 7: decoder means on a grid x grid lattice; row 0 is the top (largest z2), column 0 the smallest z1. */
export interface ManifoldInput {
  run: RunLabel
  grid: number
  /** 'icdf': Gaussian quantiles of evenly spaced probabilities (the paper's); 'linear': even in z. */
  spacing: 'icdf' | 'linear'
  /** z1 of each column, ascending. */
  xs: readonly number[]
  /** z2 of each row, top row first (descending). */
  ys: readonly number[]
  images: GreyImages
  /** Share of the run's test latent means outside the drawn lattice (null when unknown). */
  outside?: number | null
}

export type ProjectionMethod = 'pca' | 'umap' | 'tsne'

/** One panel of a scatter: 2-D points (latent means, or a projection of them) coloured by digit. */
export interface ScatterPanel {
  run: RunLabel
  /** [n][2] */
  points: readonly (readonly [number, number])[]
  labels: readonly number[]
  /** 'mu' when the latent space is 2-D and drawn as is. */
  method: 'mu' | ProjectionMethod
  /** Leave-one-out k-NN accuracy of the digit labels, in the latent space and in the 2-D points. */
  separability?: { k: number; latent: number; projected: number }
}

/** Fig 8 (and the latent projection figure): one panel per run. */
export interface ScatterInput {
  panels: readonly ScatterPanel[]
}

/** Learning-curve view options (the UI's controls; exports use the defaults). */
export interface CurvesView {
  /** Logarithmic −ELBO axes. */
  logY?: boolean
  /** Exponential moving average weight 0..0.99 (TensorBoard's smoothing); 0 draws the raw values. */
  smoothing?: number
}

export interface CurvesInput {
  runs: readonly {
    run: RunLabel
    epochs: readonly { epoch: number; train: LossPartsInput; test: LossPartsInput }[]
  }[]
  /** Also plot the rec and KL terms (two more panels). */
  showParts?: boolean
}

/** Test -ELBO per digit 0..9 of each run (null where a digit was absent). */
export interface PerDigitInput {
  runs: readonly { run: RunLabel; perDigit: readonly (number | null)[] }[]
}

export interface MinDimRow {
  digit: number
  /** Smallest latent dim whose -ELBO is within `tolerance` of the best; null when no run has the digit. */
  minimalDim: number | null
  bestDim: number | null
  bestNelbo: number | null
  /** Row of `dims` holding the minimal dim (the first within tolerance); null as minimalDim. */
  minimalRow?: number | null
}

/** The result of core/analysis/minimalLatentDim. */
export interface MinDimInput {
  tolerance: number
  /** Latent dim of each row, ascending (a dim repeats when several runs share it). */
  dims: readonly number[]
  /** Each row's name: the dim, or the run's name where two runs share a dim. */
  labels?: readonly string[]
  /** Test -ELBO [dim index][digit] (the best run where several share a dim; null where absent). */
  nelbo: readonly (readonly (number | null)[])[]
  rows: readonly MinDimRow[]
}

/** Resolution of embedded images. */
export interface FigureOptions {
  /**
   * Device pixels per CSS pixel that the images must stay crisp at, in renderers that smooth images
   * (canvas, PDF viewers): images are enlarged by nearest neighbour to that resolution.
   * 'native' embeds one PNG pixel per image pixel: light, and crisp where the renderer honours
   * `image-rendering: optimizeSpeed` (resvg and browsers for SVG; the SVG export adds it).
   */
  pixelRatio?: number | 'native'
  /** Draw the figure's title inside it (default true). */
  title?: boolean
  /** Names of classes 0..9 (default the digits); figures then say "class" instead of "digit". */
  classes?: readonly string[]
  /** On screen: zoom and richer tooltips; exports leave them out. */
  interactive?: boolean
  curves?: CurvesView
  /** Per-class bars: start the −ELBO axis at 0 (default) or near the smallest value. */
  barsFromZero?: boolean
}

/** A built figure: its ECharts option and the size (CSS pixels) its layout was computed for. */
export interface FigureSpec {
  /** File-name stem, e.g. 'recon' or 'manifold-run-3'. */
  name: string
  title: string
  width: number
  height: number
  option: EChartsOption
  /** One or two sentences saying what the figure shows: the report's numbered caption. */
  caption: string
}
