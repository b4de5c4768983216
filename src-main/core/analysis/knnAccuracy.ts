// Separability of digits in a latent space: leave-one-out k-nearest-neighbour accuracy of the
// labels (Euclidean). A majority tie goes to the tied label with the nearest member.

export function knnAccuracy(
  points: readonly (readonly number[])[],
  labels: readonly number[],
  k = 5
): number {
  const n = points.length
  if (n !== labels.length) throw new RangeError(`${n} points but ${labels.length} labels`)
  if (n < 2) return Number.NaN
  const kk = Math.min(k, n - 1)
  let correct = 0
  for (let i = 0; i < n; i++) {
    const dist: { j: number; d: number }[] = []
    for (let j = 0; j < n; j++) {
      if (j === i) continue
      let s = 0
      for (let t = 0; t < points[i].length; t++) s += (points[i][t] - points[j][t]) ** 2
      dist.push({ j, d: s })
    }
    dist.sort((a, b) => a.d - b.d || a.j - b.j)
    const votes = new Map<number, number>()
    for (const { j } of dist.slice(0, kk)) votes.set(labels[j], (votes.get(labels[j]) ?? 0) + 1)
    const top = Math.max(...votes.values())
    // Neighbours are in distance order, so the first tied label met is the one with the nearest member.
    const predicted = dist
      .slice(0, kk)
      .map(({ j }) => labels[j])
      .find((l) => votes.get(l) === top)
    if (predicted === labels[i]) correct++
  }
  return correct / n
}
