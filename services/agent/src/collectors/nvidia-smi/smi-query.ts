import { fabricNumber } from './fabric-codes.js';
import { normalizeBusId } from './query-row.js';

/** What `nvidia-smi -q` gives of one GPU beyond --query-gpu; NaN where the driver does not report it. */
export interface GpuQueryReadings {
  busId: string;
  /** Temperature at which the GPU slows down (DCGM SLOWDOWN_TEMP, 158). */
  slowdownC: number;
  /** HBM maximum operating temperature (DCGM MEM_MAX_OP_TEMP, 151). */
  memMaxC: number;
  /** Fabric "CliqueId" (NVML GpuFabricInfo; 0 = in no clique); NaN off NVLink-fabric parts. Not in `-d TEMPERATURE`. */
  fabricClique: number;
}

/** What `nvidia-smi -q` (or `-q -d TEMPERATURE`) says about the machine. */
export interface SmiQueryReport {
  /** "Attached GPUs": what the driver enumerated, including GPUs that no longer answer. */
  attachedGpus?: number;
  /** "Chassis Serial Number" (Platform Info, NVL72 systems): the rack's serial. */
  chassisSerial?: string;
  /** In the order nvidia-smi lists them. */
  gpus: GpuQueryReadings[];
}

const GPU_HEADER = /^GPU ([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-9A-Fa-f])\s*$/;
const KEY_VALUE = /^\s*(\S.*?)\s*:\s*(.*?)\s*$/;

/**
 * Parses `nvidia-smi -q` text. Drivers report thermal limits in one of two forms:
 * - absolute (older drivers): "GPU Slowdown Temp : 89 C", "Memory Max Operating Temp : 95 C";
 * - relative to T.Limit (newer drivers): "GPU T.Limit Temp : 54 C" is the current headroom below the maximum
 *   operating temperature and "GPU Slowdown T.Limit Temp : -2 C" the headroom at which the GPU slows down, so the
 *   slowdown temperature is current + headroom − slowdown headroom (33 + 54 + 2 = 89). Both readings are taken in
 *   the same query; the HBM limit has no absolute form there and stays unknown.
 * The Fabric section's CliqueId is read too ("N/A" off NVLink-fabric parts).
 */
export function parseSmiQuery(text: string): SmiQueryReport {
  const report: SmiQueryReport = { gpus: [] };
  let fields: Map<string, string> | undefined;
  const finish = (busId: string, f: Map<string, string>): void => {
    const absolute = celsius(f.get('GPU Slowdown Temp'));
    const current = celsius(f.get('GPU Current Temp'));
    const headroom = celsius(f.get('GPU T.Limit Temp'));
    const slowdownHeadroom = celsius(f.get('GPU Slowdown T.Limit Temp'));
    report.gpus.push({
      busId,
      slowdownC: Number.isFinite(absolute) ? absolute : current + headroom - slowdownHeadroom,
      memMaxC: celsius(f.get('Memory Max Operating Temp')),
      fabricClique: fabricNumber(f.get('CliqueId') ?? ''),
    });
  };
  let busId = '';
  for (const line of text.split('\n')) {
    const header = GPU_HEADER.exec(line);
    if (header) {
      if (fields) finish(busId, fields);
      busId = normalizeBusId(header[1]!);
      fields = new Map();
      continue;
    }
    const kv = KEY_VALUE.exec(line);
    if (!kv) continue;
    const [, key, value] = kv as unknown as [string, string, string];
    if (key === 'Attached GPUs') {
      const n = Number(value);
      if (Number.isInteger(n) && n >= 0) report.attachedGpus = n;
    } else if (key === 'Chassis Serial Number') {
      if (report.chassisSerial === undefined && value !== '' && value !== 'N/A' && !value.startsWith('['))
        report.chassisSerial = value;
    } else if (fields && !fields.has(key)) {
      fields.set(key, value);
    }
  }
  if (fields) finish(busId, fields);
  return report;
}

/** "89 C" → 89; "N/A" and anything else → NaN. */
function celsius(value: string | undefined): number {
  const m = value === undefined ? null : /^(-?\d+(?:\.\d+)?) C$/.exec(value);
  return m ? Number(m[1]) : NaN;
}
