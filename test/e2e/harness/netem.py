#!/usr/bin/env python3
"""A userspace netem for the e2e tests: the kernels these tests run on have no `netem` qdisc.

    python3 netem.py TUN PORTS DOWN_DELAY_MS DOWN_LOSS UP_DELAY_MS UP_LOSS SEED

Attaches to the TUN device TUN (created by the caller with `ip tuntap add dev TUN mode tun`),
reads every IPv4 packet the kernel routes into it, and writes it back into the same device after
a delay -- or drops it, at random with the given probability. A packet whose UDP/TCP destination
port is in PORTS (comma separated: the impaired browser's local ports) is "down" (server to
browser), any other one is "up". Written back, a packet re-enters the kernel as if it arrived on
TUN and is delivered locally (the caller sets accept_local and turns rp_filter off on TUN).

Prints one JSON line when ready ({"ready": true}) and then one every second with counters
({"down": {"passed": n, "dropped": n}, "up": {...}}). Ends on SIGTERM or when stdin closes.
Python 3 standard library only (fcntl, select).
"""
import fcntl
import heapq
import json
import os
import random
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def main() -> None:
    name, ports_arg, down_delay, down_loss, up_delay, up_loss, seed = sys.argv[1:8]
    ports = {int(p) for p in ports_arg.split(',') if p}
    delay = {'down': float(down_delay) / 1000, 'up': float(up_delay) / 1000}
    loss = {'down': float(down_loss), 'up': float(up_loss)}
    rng = random.Random(int(seed))
    counters = {d: {'passed': 0, 'dropped': 0} for d in ('down', 'up')}

    fd = os.open('/dev/net/tun', os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    stdin = sys.stdin.fileno()

    stop = False

    def on_term(_sig, _frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    print(json.dumps({'ready': True}), flush=True)
    queue: list = []  # (release time, sequence, packet)
    seq = 0
    next_report = time.monotonic() + 1
    while not stop:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, packet = heapq.heappop(queue)
            try:
                os.write(fd, packet)
            except OSError:
                pass  # the device went away: the loop ends below
        if now >= next_report:
            print(json.dumps(counters), flush=True)
            next_report = now + 1
        timeout = min(next_report, queue[0][0] if queue else next_report) - now
        try:
            readable, _, _ = select.select([fd, stdin], [], [], max(0.0, timeout))
        except InterruptedError:
            continue
        if stdin in readable and not os.read(stdin, 4096):
            break
        if fd not in readable:
            continue
        # Drain what is there now (bounded, so releases stay on time).
        for _ in range(256):
            try:
                packet = os.read(fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                stop = True
                break
            direction = 'up'
            if len(packet) >= 24 and packet[0] >> 4 == 4 and packet[9] in (6, 17):
                ihl = (packet[0] & 0x0F) * 4
                if len(packet) >= ihl + 4:
                    dport = struct.unpack_from('!H', packet, ihl + 2)[0]
                    direction = 'down' if dport in ports else 'up'
            if rng.random() < loss[direction]:
                counters[direction]['dropped'] += 1
                continue
            counters[direction]['passed'] += 1
            seq += 1
            heapq.heappush(queue, (time.monotonic() + delay[direction], seq, packet))
    print(json.dumps(counters), flush=True)
    os.close(fd)


if __name__ == '__main__':
    main()
