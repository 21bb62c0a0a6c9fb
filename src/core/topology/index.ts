export { allToAll } from './all-to-all.ts'
export { buildNetwork, countCouplings, countParameters, describeNetwork } from './build.ts'
export { lattice } from './lattice.ts'
export { layered } from './layered.ts'
export { convAxis, lcl, lclShapes } from './lcl.ts'
export type { LayerShape } from './lcl.ts'
export { stacked } from './stacked.ts'
export {
  AllToAllSpec,
  BuilderSpec,
  LatticeSpec,
  LayeredSpec,
  LclLayer,
  LclSpec,
  StackedSpec,
  checkIo,
  drawBias,
  formatBuilderSpec,
  parseBuilderSpec,
  parseBuilderString,
} from './spec.ts'
export type { BuilderSpecInput, IoCounts } from './spec.ts'
