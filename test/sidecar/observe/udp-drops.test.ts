import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { procAddress, udpDrops } from '../../../src/sidecar/observe/udp-drops.js';
import { SidecarProcess } from '../support/sidecar-process.js';
import { syslogDatagram } from '../support/records.js';

let sidecar: SidecarProcess | null = null;
afterEach(async () => {
  if (sidecar) process.kill(sidecar.child.pid!, 'SIGCONT');
  await sidecar?.stop('SIGKILL');
  sidecar = null;
});

describe('kernel UDP drops', () => {
  it('spells local addresses as /proc/net/udp and udp6 do', () => {
    expect(procAddress('127.0.0.1', 5140)).toBe('0100007F:1414');
    expect(procAddress('0.0.0.0', 9)).toBe('00000000:0009');
    expect(procAddress('::1', 5140)).toBe('00000000000000000000000001000000:1414');
    expect(procAddress('::', 80)).toBe('00000000000000000000000000000000:0050');
  });

  it('exports the drops of the sidecar socket: stopped with a tiny buffer, it loses a burst and says how much', async () => {
    sidecar = await SidecarProcess.start({ NJS_TRACING_UDP_RECEIVE_BUFFER_BYTES: '4096' });
    expect(await sidecar.metricValue('njs_tracing_udp_kernel_drops')).toBe(0);
    expect(udpDrops('127.0.0.1', sidecar.udpPort)).toBe(0);
    process.kill(sidecar.child.pid!, 'SIGSTOP'); // nothing reads the socket now
    const client = createSocket('udp4');
    const datagram = syslogDatagram();
    for (let i = 0; i < 200; i++) await new Promise<void>((resolve) => client.send(datagram, sidecar!.udpPort, '127.0.0.1', () => resolve()));
    client.close();
    const dropped = udpDrops('127.0.0.1', sidecar.udpPort)!;
    expect(dropped).toBeGreaterThan(100);
    process.kill(sidecar.child.pid!, 'SIGCONT');
    expect(await sidecar.metricValue('njs_tracing_udp_kernel_drops')).toBe(dropped);
    // What the kernel kept is read once the process runs again.
    for (let i = 0; i < 100 && (await sidecar.metricValue('njs_tracing_records_received_total')) < 200 - dropped; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await sidecar.metricValue('njs_tracing_records_received_total')).toBe(200 - dropped);
  });
});
