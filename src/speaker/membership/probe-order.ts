// The order in which SWIM probes members (§4.3 of the paper): round-robin over a shuffled list, reshuffled after each
// pass, so every live member is probed within one pass and detection time is bounded, not just expected.

/** Fisher–Yates in place with an injected source of randomness (tests replay it). */
export function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[xs[i], xs[j]] = [xs[j], xs[i]]
  }
  return xs
}

export class ProbeOrder {
  private order: string[] = []
  private at = 0

  constructor(private readonly random: () => number) {}

  /** The next member still `eligible`; a new pass over a shuffle of `members()` when this one is used up. */
  next(members: () => Iterable<string>, eligible: (node: string) => boolean): string | undefined {
    for (let tries = 0; tries < 2; tries++) {
      while (this.at < this.order.length) {
        const node = this.order[this.at++]
        if (eligible(node)) return node
      }
      this.order = shuffle([...members()], this.random)
      this.at = 0
    }
    return undefined
  }
}
