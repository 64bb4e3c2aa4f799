/** `-chardev` and the virtio console `-device` values, in QEMU's spellings (qemu-options.hx). */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { UsageError } from './args';
import { openConsolePorts, parseChardev, parseConsoleDevice } from './consoles';

describe('-chardev', () => {
  it('reads stdio, null, file and server sockets with their ids', () => {
    expect(parseChardev('stdio,id=con')).toEqual({ id: 'con', kind: 'stdio' });
    expect(parseChardev('null,id=n')).toEqual({ id: 'n', kind: 'null' });
    expect(parseChardev('file,id=log,path=/tmp/a,,b.log')).toEqual({ id: 'log', kind: 'file', path: '/tmp/a,b.log' });
    expect(parseChardev('socket,id=c0,port=4555,server=on,wait=off')).toEqual({
      id: 'c0',
      kind: 'socket',
      host: '127.0.0.1',
      port: 4555,
    });
    // QEMU's older flag spellings.
    expect(parseChardev('socket,id=c1,host=127.0.0.1,port=0,server,nowait')).toMatchObject({ port: 0 });
  });

  it('refuses what it cannot provide, saying why', () => {
    expect(() => parseChardev('file,path=x')).toThrow(/needs id=NAME/);
    expect(() => parseChardev('pty,id=p')).toThrow(/pty: not available/);
    expect(() => parseChardev('socket,id=c,port=4555')).toThrow(/only server=on/);
    expect(() => parseChardev('socket,id=c,port=x,server=on')).toThrow(/needs port=N/);
    expect(() => parseChardev('file,id=f,path=x,append=on')).toThrow(UsageError);
  });
});

describe('virtio console -device values', () => {
  it('reads virtconsole and virtserialport ports and accepts the virtio-serial-device bus', () => {
    expect(parseConsoleDevice('virtio-serial-device')).toBe('bus');
    expect(parseConsoleDevice('virtio-serial-device,max_ports=4')).toBe('bus');
    expect(parseConsoleDevice('virtconsole,chardev=c0')).toEqual({ chardev: 'c0', console: true });
    expect(parseConsoleDevice('virtserialport,chardev=a,name=org.qemu.guest_agent.0')).toEqual({
      chardev: 'a',
      console: false,
      name: 'org.qemu.guest_agent.0',
    });
    expect(parseConsoleDevice('virtio-rng-device')).toBeNull();
    expect(() => parseConsoleDevice('virtconsole')).toThrow(/needs chardev=ID/);
    expect(() => parseConsoleDevice('virtserialport,chardev=a')).toThrow(/needs name=NAME/);
  });

  it('pairs ports with their chardevs and refuses missing, shared or stdio-clashing ones', async () => {
    const log: string[] = [];
    const socket = parseChardev('socket,id=c0,port=0,server=on,wait=off');
    const open = await openConsolePorts([socket], [{ chardev: 'c0', console: true }], true, (l) => log.push(l));
    try {
      expect(open.ports).toHaveLength(1);
      const port = Number(/chardev c0 on tcp 127\.0\.0\.1:(\d+)/.exec(log[0] ?? '')?.[1]);
      // Something listens there now.
      await new Promise<void>((resolve, reject) => {
        const client = connect(port, '127.0.0.1', () => {
          client.destroy();
          resolve();
        });
        client.once('error', reject);
      });
    } finally {
      await open.close();
    }
    const none = () => undefined;
    await expect(openConsolePorts([], [{ chardev: 'x', console: true }], true, none)).rejects.toThrow(
      /no -chardev with id=x/,
    );
    const nul = parseChardev('null,id=n');
    const twice = [
      { chardev: 'n', console: true },
      { chardev: 'n', console: false, name: 'p' },
    ];
    await expect(openConsolePorts([nul], twice, true, none)).rejects.toThrow(/used by two devices/);
    const stdio = parseChardev('stdio,id=s');
    await expect(openConsolePorts([stdio], [{ chardev: 's', console: true }], true, none)).rejects.toThrow(
      /serial line elsewhere/,
    );
  });
});
