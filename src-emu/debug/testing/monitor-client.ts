/** Test helper: a line client for the monitor's TCP transport (waits for the `(orrery) ` prompt). */
import { connect, type Socket } from 'node:net';

const PROMPT = '(orrery) ';

export class MonitorClient {
  private buffer = '';
  private waiter: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiter?.();
    });
  }

  static async connect(port: number): Promise<MonitorClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    const client = new MonitorClient(socket);
    await client.untilPrompt(10_000);
    return client;
  }

  /** Sends one command line; resolves with its output (the prompt removed). */
  async command(line: string, timeoutMs = 20_000): Promise<string> {
    this.socket.write(line + '\n');
    return this.untilPrompt(timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  private untilPrompt(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`monitor: no prompt; got:\n${this.buffer}`)), timeoutMs);
      const check = () => {
        const at = this.buffer.indexOf(PROMPT);
        if (at < 0) return;
        const text = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + PROMPT.length);
        clearTimeout(timer);
        this.waiter = null;
        resolve(text);
      };
      this.waiter = check;
      check();
    });
  }
}
