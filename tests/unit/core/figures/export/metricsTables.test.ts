import { describe, expect, it } from 'vitest'
import { toCsv } from '../../../../../src-main/core/figures/export/metricsTables'

describe('toCsv', () => {
  it('quotes commas, quotes and line breaks, and leaves null cells empty', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          ['x,y', 'say "hi"'],
          [null, Number.NaN]
        ]
      )
    ).toBe('a,b\n"x,y","say ""hi"""\n,\n')
  })

  it('defuses text a spreadsheet would run as a formula (issue 12, finding 6), and keeps numbers as numbers', () => {
    const names = ['=HYPERLINK("http://evil","x")', '+1+2', '-2+3', '@SUM(A1)', '\tx', 'latent 2']
    const lines = toCsv(
      ['name', 'value'],
      names.map((n, i) => [n, -i])
    )
      .trim()
      .split('\n')
      .slice(1)
    expect(lines).toEqual([
      `"'=HYPERLINK(""http://evil"",""x"")",0`,
      "'+1+2,-1",
      "'-2+3,-2",
      "'@SUM(A1),-3",
      "'\tx,-4",
      'latent 2,-5'
    ])
  })
})
