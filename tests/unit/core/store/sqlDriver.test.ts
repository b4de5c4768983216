import { describe, expect, it } from 'vitest'
import { inList, positionalSql } from '../../../../src-main/core/store/sqlDriver'

describe('sqlDriver', () => {
  it('turns named parameters into numbered ones, each name once, for engines without names', () => {
    expect(positionalSql('UPDATE runs SET a = @a, b = @b WHERE id = @runId AND a <> @a')).toEqual({
      text: 'UPDATE runs SET a = $1, b = $2 WHERE id = $3 AND a <> $1',
      names: ['a', 'b', 'runId']
    })
  })

  it('writes a list as plain placeholders, and an empty one that matches nothing', () => {
    expect(inList('id', [4, 9])).toEqual({
      sql: 'IN (@id_0, @id_1)',
      params: { id_0: 4, id_1: 9 }
    })
    expect(inList('id', []).sql).toBe('IN (NULL)')
  })
})
