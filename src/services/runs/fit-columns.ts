/** A metric row's mse and r2 columns: the engine leaves them out for classification, the store keeps null. */
export function fitColumns(m: { mse?: number; r2?: number }): { mse: number | null; r2: number | null } {
  return { mse: m.mse ?? null, r2: m.r2 ?? null }
}
