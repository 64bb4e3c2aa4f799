import { describe, expect, it } from 'vitest';
import { NS_PER_SECOND, Timer, VirtualClock } from './timer';

/** A host clock the test moves by hand. */
function fakeHost(startNs = 5_000) {
  const host = { ns: startNs, source: () => host.ns };
  return host;
}

describe('VirtualClock realtime mode', () => {
  it('follows host time while running and starts from startNs', () => {
    const host = fakeHost();
    const clock = new VirtualClock({ mode: 'realtime', hostTime: host.source, startNs: 100 });
    expect(clock.now()).toBe(100);
    host.ns += 2_500;
    expect(clock.now()).toBe(2_600);
  });

  it('keeps virtual time continuous across a pause', () => {
    const host = fakeHost();
    const clock = new VirtualClock({ mode: 'realtime', hostTime: host.source });
    host.ns += 1_000;
    clock.pause();
    expect(clock.running).toBe(false);
    host.ns += 1_000_000; // the host moves on while the machine is paused
    expect(clock.now()).toBe(1_000);
    clock.resume();
    expect(clock.now()).toBe(1_000);
    host.ns += 7;
    expect(clock.now()).toBe(1_007);
  });

  it('can be created paused and refuses manual advancing', () => {
    const host = fakeHost();
    const clock = new VirtualClock({ mode: 'realtime', hostTime: host.source, running: false });
    host.ns += 50;
    expect(clock.now()).toBe(0);
    expect(() => clock.advance(10)).toThrow(/deterministic/);
  });

  it('restores a saved time and keeps running from it', () => {
    const host = fakeHost();
    const clock = new VirtualClock({ mode: 'realtime', hostTime: host.source });
    host.ns += 500;
    clock.restore(10_000);
    expect(clock.now()).toBe(10_000);
    host.ns += 3;
    expect(clock.now()).toBe(10_003);
  });

  it('uses the real host clock by default, monotonically', () => {
    const clock = new VirtualClock({ mode: 'realtime' });
    const a = clock.now();
    const b = clock.now();
    expect(Number.isInteger(a)).toBe(true);
    expect(b).toBeGreaterThanOrEqual(a);
  });
});

describe('VirtualClock deterministic mode', () => {
  it('moves only when advanced', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    expect(clock.now()).toBe(0);
    clock.advance(40);
    clock.advanceTo(100);
    expect(clock.now()).toBe(100);
  });

  it('rejects going backwards and non-integer steps', () => {
    const clock = new VirtualClock({ mode: 'deterministic', startNs: 100 });
    expect(() => clock.advanceTo(99)).toThrow(RangeError);
    expect(() => clock.advance(1.5)).toThrow(RangeError);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(clock.now()).toBe(100);
  });

  it('two identical runs produce identical firing times', () => {
    const run = () => {
      const clock = new VirtualClock({ mode: 'deterministic' });
      const seen: number[] = [];
      const periodic: Timer = new Timer(clock, () => {
        seen.push(clock.now());
        if (seen.length < 5) periodic.modNs(clock.now() + 333);
      });
      periodic.modNs(333);
      for (let step = 0; step < 20; step++) clock.runUntil(clock.now() + 97);
      return seen;
    };
    const first = run();
    expect(first).toEqual([333, 666, 999, 1332, 1665]);
    expect(run()).toEqual(first);
  });
});

describe('Timer', () => {
  it('reports expiresAt and pending, and del disarms', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    const timer = new Timer(clock, () => {});
    expect(timer.expiresAt).toBe(-1);
    expect(timer.pending).toBe(false);
    timer.modNs(500);
    expect(timer.expiresAt).toBe(500);
    expect(timer.pending).toBe(true);
    expect(clock.nextDeadline()).toBe(500);
    timer.del();
    expect(timer.expiresAt).toBe(-1);
    expect(timer.pending).toBe(false);
    expect(clock.nextDeadline()).toBe(-1);
    timer.del(); // deleting twice is harmless
  });

  it('fires in deadline order, equal deadlines in arming order', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    const order: string[] = [];
    const make = (name: string) => new Timer(clock, () => order.push(name));
    const c = make('c');
    const a = make('a');
    const b1 = make('b1');
    const b2 = make('b2');
    c.modNs(300);
    b1.modNs(200);
    a.modNs(100);
    b2.modNs(200);
    expect(clock.runDue(250)).toBe(3);
    expect(order).toEqual(['a', 'b1', 'b2']);
    expect(clock.nextDeadline()).toBe(300);
  });

  it('re-arming moves a timer, and re-arming to an equal deadline puts it last among equals', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    const order: string[] = [];
    const x = new Timer(clock, () => order.push('x'));
    const y = new Timer(clock, () => order.push('y'));
    x.modNs(10);
    y.modNs(10);
    x.modNs(10);
    clock.runDue(10);
    expect(order).toEqual(['y', 'x']);
  });

  it('keeps heap order through many random arms and deletes', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const armedAt = new Map<number, number>();
    const firedDeadlines: number[] = [];
    const timers = Array.from(
      { length: 200 },
      (_, i) =>
        new Timer(clock, () => {
          expect(timers[i].expiresAt).toBe(-1); // one-shot: disarmed before its callback runs
          firedDeadlines.push(armedAt.get(i) as number);
        }),
    );
    for (let round = 0; round < 2000; round++) {
      const i = random() % timers.length;
      if (random() % 4 === 0) {
        timers[i].del();
        armedAt.delete(i);
      } else {
        const deadline = random() % 100_000;
        timers[i].modNs(deadline);
        armedAt.set(i, deadline);
      }
    }
    expect(clock.armedCount).toBe(armedAt.size);
    clock.runDue(100_000);
    expect(firedDeadlines).toEqual([...armedAt.values()].sort((p, q) => p - q));
    expect(clock.armedCount).toBe(0);
  });

  it('does not fire timers that are not yet due', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    let count = 0;
    new Timer(clock, () => count++).modNs(1000);
    expect(clock.runDue(999)).toBe(0);
    expect(count).toBe(0);
    expect(clock.runDue(1000)).toBe(1);
    expect(count).toBe(1);
  });

  it('a periodic timer that fell behind catches up one firing per period within one runDue', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    const deadlines: number[] = [];
    const periodic: Timer = new Timer(clock, () => {
      deadlines.push(periodic.expiresAt === -1 ? lastDeadline : -2);
      lastDeadline += 100;
      periodic.modNs(lastDeadline);
    });
    let lastDeadline = 100;
    periodic.modNs(lastDeadline);
    expect(clock.runDue(450)).toBe(4); // deadlines 100, 200, 300, 400
    expect(deadlines).toEqual([100, 200, 300, 400]);
    expect(periodic.expiresAt).toBe(500);
  });

  it('a timer re-armed at or before its own deadline waits for the next runDue', () => {
    const clock = new VirtualClock({ mode: 'deterministic', startNs: 1000 });
    let count = 0;
    const stubborn: Timer = new Timer(clock, () => {
      count++;
      stubborn.modNs(0); // in the past: would loop forever if it fired again in this pass
    });
    stubborn.modNs(500);
    expect(clock.runDue()).toBe(1);
    expect(count).toBe(1);
    expect(stubborn.pending).toBe(true);
    expect(stubborn.expiresAt).toBe(0);
    expect(clock.runDue()).toBe(1);
    expect(count).toBe(2);
  });

  it('a callback may delete another due timer before it fires', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    const order: string[] = [];
    const victim = new Timer(clock, () => order.push('victim'));
    new Timer(clock, () => {
      order.push('killer');
      victim.del();
    }).modNs(5);
    victim.modNs(6);
    clock.runDue(10);
    expect(order).toEqual(['killer']);
  });

  it('runUntil fires each timer with now() equal to its deadline', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    const seen: number[] = [];
    new Timer(clock, () => seen.push(clock.now())).modNs(30);
    new Timer(clock, () => seen.push(clock.now())).modNs(70);
    expect(clock.runUntil(100)).toBe(2);
    expect(seen).toEqual([30, 70]);
    expect(clock.now()).toBe(100);
  });

  it('modAfterNs is relative to now and far deadlines are clamped, not lost', () => {
    const clock = new VirtualClock({ mode: 'deterministic', startNs: 1_000 });
    const timer = new Timer(clock, () => {});
    timer.modAfterNs(250);
    expect(timer.expiresAt).toBe(1_250);
    timer.modNs(0xffffffff * NS_PER_SECOND);
    expect(timer.expiresAt).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => timer.modNs(NaN)).toThrow(RangeError);
  });

  it('tells a listener when the earliest deadline moves earlier', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    let wakeups = 0;
    clock.setDeadlineListener(() => wakeups++);
    const a = new Timer(clock, () => {});
    const b = new Timer(clock, () => {});
    a.modNs(100);
    b.modNs(200); // later: no wake-up needed
    b.modNs(50);
    expect(wakeups).toBe(2);
  });

  it('restoreDeadline re-arms or disarms as a snapshot says', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    const timer = new Timer(clock, () => {});
    timer.restoreDeadline(900);
    expect(timer.expiresAt).toBe(900);
    timer.restoreDeadline(-1);
    expect(timer.pending).toBe(false);
  });

  it('refuses a nested runDue from a callback', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    new Timer(clock, () => clock.runDue()).modNs(1);
    expect(() => clock.runDue(1)).toThrow(/inside a timer callback/);
    expect(clock.armedCount).toBe(0);
  });
});

describe('VirtualClock pending time (deterministic mode)', () => {
  it('adds the installed provider to now() without moving the base', () => {
    const clock = new VirtualClock({ mode: 'deterministic', startNs: 1_000 });
    let pending = 0;
    clock.setPendingNs(() => pending);
    pending = 240;
    expect(clock.now()).toBe(1_240);
    // The owner folds the pending part in and resets it: time continues from what now() showed.
    pending = 0;
    clock.advance(240);
    expect(clock.now()).toBe(1_240);
    clock.setPendingNs(null);
    expect(clock.now()).toBe(1_240);
  });

  it('arms timers relative to now() including the pending part', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    let pending = 50;
    clock.setPendingNs(() => pending);
    const fired: number[] = [];
    const timer = new Timer(clock, () => fired.push(clock.now()));
    timer.modAfterNs(100);
    expect(timer.expiresAt).toBe(150);
    pending = 0;
    clock.runUntil(1_000);
    expect(fired).toEqual([150]);
  });

  it('does not fold the pending part into time when paused', () => {
    const clock = new VirtualClock({ mode: 'deterministic', running: true });
    clock.resume();
    let pending = 70;
    clock.setPendingNs(() => pending);
    clock.pause();
    pending = 0;
    expect(clock.now()).toBe(0);
  });

  it('is ignored by a realtime clock', () => {
    const host = fakeHost();
    const clock = new VirtualClock({ mode: 'realtime', hostTime: host.source });
    clock.setPendingNs(() => 1_000_000);
    host.ns += 10;
    expect(clock.now()).toBe(10);
  });
});

describe('timers waiting for host work (HostWorkGate)', () => {
  /** Host work the test finishes by hand. */
  function hostWork() {
    const work = { done: false, promise: Promise.resolve(), finish: () => {} };
    work.promise = new Promise<void>((resolve) => {
      work.finish = () => {
        work.done = true;
        resolve();
      };
    });
    return work;
  }

  it('stops the pass before a gated timer and carries on in the same order once the host is done', async () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    const fired: string[] = [];
    const work = hostWork();
    new Timer(clock, () => fired.push('a')).modNs(100);
    new Timer(
      clock,
      () => fired.push('gated'),
      () => (work.done ? null : work.promise),
    ).modNs(200);
    new Timer(clock, () => fired.push('b')).modNs(200);
    new Timer(clock, () => fired.push('c')).modNs(300);
    expect(clock.runDue(300)).toBe(1);
    expect(fired).toEqual(['a']);
    expect(clock.hostWork).not.toBeNull();
    expect(clock.runDue(300)).toBe(0); // asking again before the host is done changes nothing
    work.finish();
    await clock.hostWork;
    expect(clock.runDue(300)).toBe(3);
    expect(fired).toEqual(['a', 'gated', 'b', 'c']);
    expect(clock.hostWork).toBeNull();
  });

  it('keeps timers re-armed in the open pass out of it until the pass is over, as without waiting', async () => {
    const run = async (wait: boolean) => {
      const clock = new VirtualClock({ mode: 'deterministic' });
      const fired: string[] = [];
      const work = hostWork();
      if (!wait) work.finish();
      const late = new Timer(clock, () => fired.push('re-armed'));
      new Timer(clock, () => {
        fired.push('first');
        late.modNs(50); // at or before the deadline being fired: the next pass
      }).modNs(100);
      new Timer(
        clock,
        () => fired.push('gated'),
        () => (work.done ? null : work.promise),
      ).modNs(150);
      clock.runDue(200);
      if (wait) {
        expect(clock.armedCount).toBe(2);
        work.finish();
        await clock.hostWork;
        clock.runDue(200);
      }
      fired.push('pass over');
      clock.runDue(200);
      return fired;
    };
    expect(await run(true)).toEqual(['first', 'gated', 'pass over', 're-armed']);
    expect(await run(false)).toEqual(await run(true));
  });

  it('runUntil stops at the gated deadline and goes on from there when called again', async () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    const work = hostWork();
    const seen: number[] = [];
    new Timer(
      clock,
      () => seen.push(clock.now()),
      () => (work.done ? null : work.promise),
    ).modNs(400);
    clock.runUntil(1_000);
    expect([clock.now(), seen]).toEqual([400, []]);
    work.finish();
    await clock.hostWork;
    clock.runUntil(1_000);
    expect([clock.now(), seen]).toEqual([1_000, [400]]);
  });

  it('a rejected promise also lets the pass go on (the gate is asked again)', async () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    let failed = false;
    let fired = 0;
    new Timer(
      clock,
      () => fired++,
      () => (failed ? null : Promise.reject(new Error('disk gone')).finally(() => (failed = true))),
    ).modNs(10);
    clock.runDue(10);
    await clock.hostWork;
    clock.runDue(10);
    expect(fired).toBe(1);
  });
});
