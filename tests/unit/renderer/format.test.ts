import { describe, expect, it } from 'vitest'
import {
  count,
  dateTime,
  duration,
  nats,
  percent,
  rate,
  small
} from '../../../src-renderer/model/format'

describe('format', () => {
  it('shows nats with two decimals and a dash for what is not known', () => {
    expect(nats(171.6612)).toBe('171.66')
    expect(nats(null)).toBe('—')
    expect(nats(Number.NaN)).toBe('—')
    expect(nats(94.04, 1)).toBe('94.0')
  })
  it('groups thousands in rates and counts', () => {
    expect(rate(10576.2)).toBe('10,576')
    expect(count(60000)).toBe('60,000')
    expect(rate(undefined)).toBe('—')
  })
  it('writes durations a person reads at a glance', () => {
    expect(duration(45.4)).toBe('45 s')
    expect(duration(200)).toBe('3 min 20 s')
    expect(duration(7500)).toBe('2 h 05 min')
    expect(duration(-1)).toBe('—')
  })
  it('writes percentages, small numbers and dates', () => {
    expect(percent(0.425, 1)).toBe('42.5%')
    expect(small(0.001)).toBe('1e-3')
    expect(small(0.02)).toBe('0.02')
    expect(dateTime('not a date')).toBe('—')
    expect(dateTime('2026-11-25T15:45:10.020Z')).toMatch(/^2026-11-2\d \d\d:\d\d$/)
  })
})
