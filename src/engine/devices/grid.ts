import { OptixUserError } from '../../errors.js';
import type { CommTier, DeviceProfile } from '../types.js';

/** Devices in the whole communication grid (the outermost tier's group). */
export function gridCapacity(profile: DeviceProfile): number {
  const outer = profile.commGrid[profile.commGrid.length - 1];
  return outer === undefined ? 1 : outer.devices;
}

/**
 * The tier a collective over `groupSize` consecutive devices runs on: the
 * innermost tier whose group holds them all. Groups are assumed packed
 * (ranks 0..n-1 fill the inner tiers first), as the launchers place them.
 */
export function tierForGroup(profile: DeviceProfile, groupSize: number): CommTier {
  return profile.commGrid[tierIndexForGroup(profile, groupSize)]!;
}

/** The index in `commGrid` of the tier a group of `groupSize` packed devices runs on (tierForGroup). */
export function tierIndexForGroup(profile: DeviceProfile, groupSize: number): number {
  if (!Number.isInteger(groupSize) || groupSize < 1) {
    throw new RangeError(`tierForGroup: group size must be a positive integer, got ${groupSize}`);
  }
  const at = profile.commGrid.findIndex((tier) => tier.devices >= groupSize);
  if (at >= 0) return at;
  throw new OptixUserError(
    `a group of ${groupSize} devices does not fit the communication grid of ${profile.name} (${gridCapacity(profile)} devices)`,
    { hint: `use at most ${gridCapacity(profile)} devices, or a profile with a larger commGrid` },
  );
}

/**
 * Outer-first group counts, as msmodeling writes a grid: tiers of 8 and 2048
 * devices are "256 x 8"; tiers of 2, 16 and 768 are "48 x 8 x 2".
 */
export function gridShape(profile: DeviceProfile): number[] {
  const shape: number[] = [];
  let inner = 1;
  for (const tier of profile.commGrid) {
    shape.unshift(tier.devices / inner);
    inner = tier.devices;
  }
  return shape;
}

export function formatGrid(profile: DeviceProfile): string {
  return gridShape(profile).join(' x ');
}
