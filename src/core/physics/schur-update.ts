/**
 * S_jk -= sum_t hab[j,t] hab[k,t] dInv[t] for k <= j (the lower triangle of the Schur complement of a diagonal
 * block), with hg = hab diag(dInv) kept in `hg`: contiguous dot products over the eliminated side, the order the
 * XY and OIM eliminations both rely on for their bits. hab and hg are [nb, na] row-major, S is [nb, nb].
 */
export function subtractDiagonalSchur(hab: Float64Array, dInv: Float64Array, hg: Float64Array, S: Float64Array, na: number, nb: number): void {
  for (let j = 0; j < nb; j++) { const o = j * na; for (let t = 0; t < na; t++) hg[o + t] = hab[o + t] * dInv[t] }
  for (let j = 0; j < nb; j++) {
    const oj = j * na
    for (let k = 0; k <= j; k++) {
      const ok = k * na
      let acc = 0
      for (let t = 0; t < na; t++) acc += hab[oj + t] * hg[ok + t]
      S[j * nb + k] -= acc
    }
  }
}
