import { OptixUserError } from '../errors.js';
import type { ModelSpec } from './types.js';

/**
 * LLM tokens one image adds to the prompt: patches of patch_size px, merged
 * spatial_merge_size^2 to one token (Qwen-VL style). The encoder that makes them is
 * priced with the prefill that uses them (ops/vision.ts).
 */
export function visionTokens(spec: ModelSpec, heightPx?: number, widthPx?: number): number {
  if (heightPx === undefined && widthPx === undefined) return 0;
  if (heightPx === undefined || widthPx === undefined) {
    throw new OptixUserError('--image-height and --image-width must be given together');
  }
  if (!(heightPx > 0 && widthPx > 0)) throw new OptixUserError(`image size must be positive, got ${heightPx}x${widthPx}`);
  if (!spec.vision) {
    throw new OptixUserError(`image inputs are not supported for ${spec.id}: its config has no vision_config`, {
      hint: 'drop --image-height/--image-width or use a VL model',
    });
  }
  const { patchSize, spatialMergeSize } = spec.vision;
  const unit = patchSize * spatialMergeSize;
  return Math.ceil(heightPx / unit) * Math.ceil(widthPx / unit);
}
