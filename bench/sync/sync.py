"""sync.py: the Python multiprocessing side of the sync benchmark.

One mode per run, with multiprocessing's own objects:
  lock:    2 processes each ROUNDS times take a Lock, add 1 to a shared
           RawValue with a separate load and store, release it; the parent
           checks the value is 2 * ROUNDS.
  sem:     4 processes each ROUNDS times take a Semaphore(2), add 1 to a
           shared count of those inside (under its Value lock), check it is
           at most 2, take 1 off, release.
  barrier: 4 processes pass ROUNDS phases of a Barrier(4); before phase k
           each stores k + 1 in its slot of a RawArray, after it checks
           every slot holds k + 1 or k + 2.
  event:   two Events ping-ponged between two processes ROUNDS times; each
           checks the round the other stored before setting.
In lock and sem the processes pass a start Barrier first, so that their
loops overlap. Each process records its counts in a shared RawArray.

usage: python3 sync.py mode=lock|sem|barrier|event [rounds=100000]
prints: RESULT bench=sync check=ok|FAIL count=<pairs, sections, phases or wakes>
"""
import multiprocessing as mp
import sys


def arg(key, default):
    for a in sys.argv[1:]:
        k, _, v = a.partition("=")
        if k == key:
            return v if isinstance(default, str) else int(v)
    return default


def locker(m, gate, counter, rounds, done, me):
    gate.wait()
    for _ in range(rounds):
        with m:
            x = counter.value
            counter.value = x + 1
    done[me] = rounds


def sem_user(s, gate, inside, rounds, done, me):
    gate.wait()
    sections = errors = 0
    lock = inside.get_lock()
    for _ in range(rounds):
        with s:
            with lock:
                inside.value += 1
                n = inside.value
            if n > 2:
                errors += 1
            with lock:
                inside.value -= 1
            sections += 1
    done[2 * me] = sections
    done[2 * me + 1] = errors


def phaser(b, seen, rounds, done, me):
    phases = errors = 0
    for k in range(rounds):
        seen[me] = k + 1
        b.wait()
        for q in range(4):
            v = seen[q]
            if v != k + 1 and v != k + 2:
                errors += 1
        phases += 1
    done[2 * me] = phases
    done[2 * me + 1] = errors


def pinger(ping, pong, slots, rounds, done):
    ok = 0
    for i in range(rounds):
        slots[0] = i
        ping.set()
        pong.wait()
        pong.clear()
        if slots[1] == i:
            ok += 1
    done[0] = ok


def ponger(ping, pong, slots, rounds, done):
    ok = 0
    for i in range(rounds):
        ping.wait()
        ping.clear()
        if slots[0] == i:
            ok += 1
        slots[1] = i
        pong.set()
    done[1] = ok


def main():
    mp.set_start_method("fork")
    mode, rounds = arg("mode", "lock"), arg("rounds", 100000)
    done = mp.RawArray("q", 8)
    if mode == "lock":
        counter = mp.RawValue("q", 0)
        m, gate = mp.Lock(), mp.Barrier(2)
        ps = [mp.Process(target=locker, args=(m, gate, counter, rounds, done, i))
              for i in range(2)]
    elif mode == "sem":
        inside = mp.Value("q", 0)
        s, gate = mp.Semaphore(2), mp.Barrier(4)
        ps = [mp.Process(target=sem_user, args=(s, gate, inside, rounds, done, i))
              for i in range(4)]
    elif mode == "barrier":
        seen, b = mp.RawArray("q", 4), mp.Barrier(4)
        ps = [mp.Process(target=phaser, args=(b, seen, rounds, done, i))
              for i in range(4)]
    elif mode == "event":
        slots, ping, pong = mp.RawArray("q", 2), mp.Event(), mp.Event()
        ps = [mp.Process(target=pinger, args=(ping, pong, slots, rounds, done)),
              mp.Process(target=ponger, args=(ping, pong, slots, rounds, done))]
    else:
        sys.exit(f"sync.py: unknown mode {mode!r}")
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    ok = all(p.exitcode == 0 for p in ps)
    if mode == "lock":
        count = counter.value
        ok = ok and count == 2 * rounds and done[0] + done[1] == 2 * rounds
    elif mode == "sem":
        count = sum(done[2 * p] for p in range(4))
        ok = ok and all(done[2 * p] == rounds and done[2 * p + 1] == 0 for p in range(4))
        ok = ok and inside.value == 0
    elif mode == "barrier":
        count = done[0]
        ok = ok and all(done[2 * p] == rounds and done[2 * p + 1] == 0 for p in range(4))
    else:
        count = done[0] + done[1]
        ok = ok and done[0] == rounds and done[1] == rounds
    print(f"RESULT bench=sync check={'ok' if ok else 'FAIL'} count={count}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
