// The look shared by every figure: white background, dark text, no animation (exports render the
// first frame; pitfalls.md section 6), thin grey axes. One place to change it for all figures.
import type {
  EChartsOption,
  TitleComponentOption,
  XAXisComponentOption,
  YAXisComponentOption
} from 'echarts'

import { areDigits, classNoun, DIGIT_NAMES } from '../classNames'
import { textWidth } from './textWidth'

export const TEXT_COLOR = '#222222'
export const MUTED_TEXT = '#555555'
export const AXIS_COLOR = '#888888'
export const FONT_SIZE = 12
/** Vertical space a figure's title takes when drawn. */
export const TITLE_HEIGHT = 34

export function titleBlock(text: string, subtext?: string): TitleComponentOption {
  return {
    text,
    subtext,
    left: 12,
    top: 8,
    textStyle: { fontSize: 14, fontWeight: 'bold', color: TEXT_COLOR },
    subtextStyle: { fontSize: FONT_SIZE, color: MUTED_TEXT }
  }
}

/** Options every figure starts from. */
export function baseOption(): EChartsOption {
  return {
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { color: TEXT_COLOR, fontSize: FONT_SIZE, fontFamily: 'sans-serif' }
  }
}

const axisStyle = {
  axisLine: { show: true, onZero: false, lineStyle: { color: AXIS_COLOR } },
  axisTick: { show: true, lineStyle: { color: AXIS_COLOR } },
  axisLabel: { color: TEXT_COLOR, fontSize: FONT_SIZE },
  splitLine: { show: true, lineStyle: { color: '#eeeeee' } },
  nameTextStyle: { color: TEXT_COLOR, fontSize: FONT_SIZE },
  nameLocation: 'middle' as const
}

type AxisExtra = Record<string, unknown>

/** Shared axis style with `extra` on top; its axisLine/axisTick/axisLabel/splitLine add to the shared ones. */
function styledAxis(base: AxisExtra, extra: AxisExtra): AxisExtra {
  const merged: AxisExtra = { ...axisStyle, ...base, ...extra }
  for (const key of ['axisLine', 'axisTick', 'axisLabel', 'splitLine'] as const) {
    if (extra[key]) merged[key] = { ...axisStyle[key], ...(extra[key] as AxisExtra) }
  }
  return merged
}

/** Room below a class axis: labels, turned 30 degrees when they are names, then the axis name. */
export function classAxisHeight(classes: readonly string[] = DIGIT_NAMES): number {
  if (areDigits(classes)) return 48
  const longest = Math.max(...classes.map((c) => textWidth(c, FONT_SIZE)))
  return Math.ceil(longest * Math.sin(Math.PI / 6) + FONT_SIZE + 40)
}

/** The ten classes along x (digits 0..9, or a dataset's names), as the per-class figures share it. */
export function digitXAxis(
  extra: XAXisComponentOption = {},
  classes: readonly string[] = DIGIT_NAMES
): XAXisComponentOption {
  const digits = areDigits(classes)
  return {
    type: 'category',
    data: [...classes],
    name: classNoun(classes),
    nameLocation: 'middle',
    nameGap: classAxisHeight(classes) - 20,
    axisLabel: { color: TEXT_COLOR, fontSize: FONT_SIZE, interval: 0, rotate: digits ? 0 : 30 },
    nameTextStyle: { color: TEXT_COLOR, fontSize: FONT_SIZE },
    ...extra
  } as XAXisComponentOption
}

export function valueXAxis(name: string, extra: XAXisComponentOption = {}): XAXisComponentOption {
  return styledAxis(
    { type: 'value', name, nameGap: 26, scale: true },
    extra as AxisExtra
  ) as XAXisComponentOption
}

export function valueYAxis(name: string, extra: YAXisComponentOption = {}): YAXisComponentOption {
  return styledAxis(
    { type: 'value', name, nameGap: 44, scale: true },
    extra as AxisExtra
  ) as YAXisComponentOption
}

/** A readable tick step near `span / target`: 1, 2 or 5 times a power of ten. */
export function niceStep(span: number, target = 6): number {
  const raw = span / target
  const p = 10 ** Math.floor(Math.log10(raw))
  const m = raw / p
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p
}
