/**
 * Writes dist/devices.bundle.json: every built-in device profile, parsed and
 * checked, with the mtime of its YAML file. `loadDevice` uses it so that a
 * command does not import the YAML parser; an edited YAML file (newer than
 * its bundle entry) is read from the file again. Run by `npm run build`.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEVICE_BUNDLE, devicesDir, listDeviceNames, parseDeviceProfile, type DeviceBundle } from '../src/catalog/devices.js';

const out: DeviceBundle = { sourceMtimeMs: {}, profiles: {} };
for (const name of listDeviceNames()) {
  const file = path.join(devicesDir(), `${name}.yaml`);
  out.sourceMtimeMs[name] = statSync(file).mtimeMs;
  out.profiles[name] = parseDeviceProfile(readFileSync(file, 'utf8'), file, { expectedName: name });
}
const target = path.resolve(devicesDir(), '..', '..', DEVICE_BUNDLE);
mkdirSync(path.dirname(target), { recursive: true });
writeFileSync(target, `${JSON.stringify(out)}\n`);
console.log(`bundled ${Object.keys(out.profiles).length} device profiles into ${DEVICE_BUNDLE}`);
