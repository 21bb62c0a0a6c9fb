// Colour maps for the plots: a cyclic one for phases (rad) and a diverging one for signed couplings.

export type Rgb = [number, number, number]

/** Cyclic hue map: phase phi (rad, any branch) -> RGB; -pi and +pi meet, +pi/2 and -pi/2 sit opposite. */
export function phaseColour(phi: number): Rgb {
  const t = (((phi + Math.PI) / (2 * Math.PI)) % 1 + 1) % 1
  const h = t * 6, k = Math.floor(h) % 6, f = h - Math.floor(h)
  // full saturation, value 0.9: readable on white, distinct from the grey grid
  const v = 0.9, p = 0, q = v * (1 - f), u = v * f
  const rgb: [number, number, number][] = [[v, u, p], [q, v, p], [p, v, u], [p, q, v], [u, p, v], [v, p, q]]
  const [r, g, b] = rgb[k]
  return [Math.round(255 * r), Math.round(255 * g), Math.round(255 * b)]
}

/** Diverging map: t in [-1, 1] -> blue (-1), white (0), red (+1); t is clipped. */
export function divergingColour(t: number): Rgb {
  const x = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0))
  const lo: Rgb = [33, 102, 172], hi: Rgb = [178, 24, 43], mid: Rgb = [247, 247, 247]
  const end = x < 0 ? lo : hi, a = Math.abs(x)
  return [0, 1, 2].map((i) => Math.round(mid[i] + (end[i] - mid[i]) * a)) as Rgb
}

/** CSS colour string of an RGB triple. */
export function css([r, g, b]: Rgb): string {
  return `rgb(${r},${g},${b})`
}
