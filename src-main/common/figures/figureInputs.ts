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
  /** The epoch the reconstructions are from (the epoch slider, `--epoch`); absent: the final ones. */
  epoch?: number
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
  /** The epoch the decoder is from (the epoch slider, `--epoch`); absent: the final one. */
  epoch?: number
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
  /** The epoch the latent means are from (the epoch slider, `--epoch`); absent: the final ones. */
  epoch?: number
}

/** The test image a decoded figure starts from: its index in the test set and its class. */
export interface TestImageRef {
  index: number
  label: number
}

/** KL per latent dimension of one run, drawn sorted (the active-units picture). */
export interface KlPerDimInput {
  run: RunLabel
  /** Mean KL(q(z_j|x) || N(0, 1)) over the test set per dim j, nats. */
  klPerDim: readonly number[]
  /** Var_x E_q[z_j|x] per dim (Burda et al.'s active-units statistic), when known. */
  variances?: readonly number[] | null
  /** Active-units threshold on the variance (0.01). */
  threshold?: number
  epoch?: number
}

/** Latent traversals: one row per dim, swept over ±3 prior sd with the others at a test image's mean. */
export interface TraversalInput {
  run: RunLabel
  /** The dims drawn, in row order (largest KL first). */
  dims: readonly number[]
  /** The swept values, in column order. */
  values: readonly number[]
  base: TestImageRef
  /** dims.length * values.length images, row by row. */
  images: GreyImages
}

/** Interpolation between two test images' latent means, linear and spherical. */
export interface InterpolationInput {
  run: RunLabel
  from: TestImageRef
  to: TestImageRef
  steps: number
  rows: readonly { method: 'linear' | 'spherical'; images: GreyImages }[]
}

/** Decoder means of draws from the prior N(0, I). */
export interface SamplesInput {
  run: RunLabel
  grid: number
  seed: number
  images: GreyImages
}

/** One axis of the parallel-coordinates view: a config field, or the final test −ELBO. */
export interface ParallelField {
  key: string
  label: string
  kind: 'value' | 'log' | 'category'
  /** The values of a category axis, in order. */
  categories?: readonly string[]
}

/** Config fields that vary across the runs, and each run's final test −ELBO (the last axis). */
export interface ParallelInput {
  fields: readonly ParallelField[]
  runs: readonly {
    run: RunLabel
    /** One value per field (a category's name, or a number); null where the run has none. */
    values: readonly (number | string | null)[]
  }[]
  /** Runs drawn emphasised (the compared ones, in a view of their whole sweep). */
  highlight?: readonly number[]
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
    /** A seed group's: the mean over its runs at each epoch. */
    epochs: readonly { epoch: number; train: LossPartsInput; test: LossPartsInput }[]
    /** A seed group's standard deviation over its runs at each epoch: drawn as a band ± 1 sd. */
    spread?: readonly { epoch: number; train: LossPartsInput; test: LossPartsInput }[]
    /** Runs in the seed group. */
    n?: number
  }[]
  /** Also plot the rec and KL terms (two more panels). */
  showParts?: boolean
  /** Mark this epoch with a vertical line (the epoch slider's position). */
  markEpoch?: number
}

/** Test -ELBO per digit 0..9 of each run (null where a digit was absent). */
export interface PerDigitInput {
  runs: readonly {
    run: RunLabel
    /** A seed group's mean per class. */
    perDigit: readonly (number | null)[]
    /** A seed group's standard deviation per class: drawn as error bars ± 1 sd. */
    sd?: readonly (number | null)[]
    /** Runs in the seed group. */
    n?: number
  }[]
  /** The epoch these numbers are from, when not the last (the epoch slider). */
  epoch?: number
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
  /**
   * Seed groups: rows are group means, and per class how many seeds, taken alone, give the same
   * minimal row (null where a class has none).
   */
  agreement?: readonly ({ agree: number; of: number } | null)[]
  /** How the seeds were paired across groups: by seed value, or by rank where values differ. */
  pairedBy?: 'seed' | 'rank'
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
