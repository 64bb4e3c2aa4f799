"""Runs a GIC register script on qemu-system-aarch64 -M virt and prints the transcript with read results.

Script lines: [@cpu] W addr val | WB addr val | R addr | RB addr | ISR | CTL val | CVAL val, and # comments.
"@n" runs the operation on CPU n (default 0); the machine gets as many CPUs as the script names.
A transcript is itself a script (the "-> value" parts are ignored), so one regenerates with
    cd qemu-oracle && python3 run-oracle.py groups.txt > /tmp/new.txt
Needs aarch64-linux-gnu-gcc and qemu-system-aarch64 (Debian: gcc-aarch64-linux-gnu, qemu-system-arm).
"""
import os, sys, subprocess, tempfile

KINDS = {'W': 1, 'R': 2, 'WB': 3, 'RB': 4, 'ISR': 5, 'CTL': 6, 'CVAL': 7}


def parse(line):
    """(cpu, words) of a script line, or None for a comment or blank line."""
    words = line.split('#')[0].split('->')[0].split()
    if not words:
        return None
    cpu = 0
    if words[0].startswith('@'):
        cpu = int(words[0][1:])
        words = words[1:]
    return cpu, words


raw = [l.rstrip('\n') for l in open(sys.argv[1])]
ops = []
cpus = 1
for line in raw:
    parsed = parse(line)
    if parsed is None:
        continue
    cpu, words = parsed
    cpus = max(cpus, cpu + 1)
    if words[0] in ('CTL', 'CVAL'):
        addr, value = 0, int(words[1], 0)
    else:
        addr = int(words[1], 0) if len(words) > 1 else 0
        value = int(words[2], 0) if len(words) > 2 else 0
    ops.append(f"  .quad {KINDS[words[0]]},{addr:#x},{value:#x},{cpu}")
work = tempfile.mkdtemp()
open(os.path.join(work, 'ops.inc'), 'w').write("\n".join(ops) + "\n")
source = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'oracle.S')
elf = os.path.join(work, 'oracle.elf')
subprocess.check_call(['aarch64-linux-gnu-gcc', '-nostdlib', '-static', '-Wl,-Ttext=0x40080000', f'-DNCPUS={cpus}',
                       '-I', work, '-o', elf, source])
run = subprocess.run(['timeout', '30', 'qemu-system-aarch64', '-M', 'virt', '-cpu', 'cortex-a57', '-smp', str(cpus),
                      '-display', 'none', '-nodefaults', '-serial', 'stdio', '-kernel', elf],
                     capture_output=True, text=True)
results = run.stdout.split()
i = 0
for line in raw:
    parsed = parse(line)
    if parsed is not None and parsed[1][0] in ('R', 'RB', 'ISR'):
        prefix = '' if parsed[0] == 0 and not line.lstrip().startswith('@') else f'@{parsed[0]} '
        print(f"{prefix}{' '.join(parsed[1])} -> 0x{results[i] if i < len(results) else '????????'}")
        i += 1
    else:
        print(line)
if i != len(results):
    sys.exit(f"expected {i} results, got {len(results)}")
