/** `optix calibrate`: fit a device profile's efficiency curves to kernel tables. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { OptixUserError } from '../../errors.js';
import { loadDeviceFile, resolveDevices } from '../../catalog/devices.js';
import { baseProfileText, calibrate, CURVE_GROUPS, parseCurveGroups } from '../../accuracy/calibrate.js';
import { asciiTable, printJson } from '../format.js';
import { parseIntArg } from '../options.js';

interface CalibrateFlags {
  kernels: string;
  device: string;
  deviceFile?: string;
  out: string;
  passes: number;
  curves?: string[];
  json: boolean;
}

export function register(program: Command): void {
  program
    .command('calibrate')
    .description("Fit a device profile's efficiency curves and static costs to measured kernel tables; write a profile YAML")
    .requiredOption('--kernels <dir>', 'directory of kernel tables (../shared/reference/kernels/<system>)')
    .requiredOption('--device <name>', 'profile to start from (built-in name)')
    .option('--device-file <path>', 'start from this profile file instead of the built-in')
    .requiredOption('--out <file>', 'where to write the calibrated profile (YAML, usable with --device-file)')
    .option('--passes <n>', 'coordinate-descent passes', parseIntArg('--passes'), 4)
    .option(
      '--curves <groups...>',
      `fit and write only these groups; the rest keep the base profile's figures (and hold them during the fit): ${CURVE_GROUPS.join(', ')} (default: all)`,
    )
    .option('--json', 'print the before/after op-level errors as JSON', false)
    .action((f: CalibrateFlags) => {
      if (f.passes < 1 || f.passes > 20) throw new OptixUserError(`--passes must be in 1..20, got ${f.passes}`);
      const curves = f.curves !== undefined ? parseCurveGroups(f.curves) : undefined;
      const base = f.deviceFile !== undefined ? loadDeviceFile(f.deviceFile) : resolveDevices([f.device])[0]!;
      const r = calibrate(f.kernels, base, baseProfileText(base, f.deviceFile), { passes: f.passes, ...(curves ? { curves } : {}) });
      writeFileSync(f.out, r.yaml);
      if (curves && r.emptyGroups.length > 0) {
        process.stderr.write(`optix calibrate: --curves ${r.emptyGroups.join(', ')}: no rows in the kernel tables of ${f.kernels}; nothing fitted, the base profile's figures are kept\n`);
      }
      if (f.json) {
        printJson({ device: base.name, out: f.out, tables: r.tables, curves: r.curves, before: r.before.families, after: r.after.families });
        return;
      }
      const before = new Map(r.before.families.map((x) => [x.family, x.medianApePct]));
      const rows = r.after.families.map((x) => [x.family, x.rows, before.get(x.family)?.toFixed(1) ?? '-', x.medianApePct?.toFixed(1) ?? '-']);
      const only = curves ? ` (curves: ${r.curves.join(', ')})` : '';
      process.stdout.write(`Calibrated ${base.name}${only} from ${r.tables.join(', ')} in ${f.kernels}\n${asciiTable(['op family', 'rows', 'median APE % before', 'after'], rows)}\nWrote ${f.out}\n`);
    });
}
