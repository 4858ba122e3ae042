// What a bench result says about the machine it ran on.
import * as os from 'node:os';

export function machineInfo(): { cpus: number; cpuModel: string | undefined; memoryGB: number; node: string; platform: string } {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim(),
    memoryGB: +(os.totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}
