// Where the raw pixels of the image tasks come from. src/core does no I/O, so the service layer
// registers a loader per source (src/services/datasets/sources.ts) and core calls it lazily, once.
import type { ImageSet } from './images.ts'

export const IMAGE_SOURCE_NAMES = ['mnist', 'fashion-mnist/train', 'fashion-mnist/test', 'sklearn-digits'] as const
export type ImageSourceName = (typeof IMAGE_SOURCE_NAMES)[number]

const loaders = new Map<ImageSourceName, () => ImageSet>()
const cache = new Map<ImageSourceName, ImageSet>()

/** Registers (or replaces) the loader of a source; a replaced loader drops the cached images. */
export function registerImageSource(name: ImageSourceName, load: () => ImageSet): void {
  loaders.set(name, load)
  cache.delete(name)
}

/** The images of a source, loaded on first use and then kept; RangeError when no loader is registered. */
export function imageSource(name: ImageSourceName): ImageSet {
  const hit = cache.get(name)
  if (hit) return hit
  const load = loaders.get(name)
  if (!load) throw new RangeError(`no loader registered for image source '${name}' (import src/services/datasets/sources.ts)`)
  const set = load()
  cache.set(name, set)
  return set
}
