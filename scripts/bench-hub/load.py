#!/usr/bin/env python3
"""Load for `make bench-hub`: the day of a fleet of servers, as bam's client
(Sources/BamEngine/Hub/) talks to the Hub.

  requests  writes the request list (one request a line: METHOD TAB PATH TAB
            SUBKEY TAB BODY) that both generators replay: `wrk` with
            requests.lua at saturation, and `paced` here.
  paced     replays it at a fixed offered rate (open loop: each request has
            its start time on a schedule, and its latency counts from that
            time, so a slow Hub cannot slow the schedule down and hide its
            queue) over a pool of keep-alive connections; prints JSON.
  keypacket prints a well-formed bam v2 key packet (no passphrase) for
            record/create/.

A server's day (a nightly `bam backup`): archive/timestamp/ (profile
check), record/ID/ (refresh the cached record), credentials/?backup_id=,
record/ID/inprogress/ true, record/update/ (the backup is done; the Hub
measures the prefix), record/ID/ (size), record/ID/inprogress/ false.
Now and then an administrator's `bam list` (records/), and a new server
(subkey/ with the account's API key, then record/create/).
"""
import asyncio, base64, hashlib, json, os, random, sys, time, urllib.parse


def keypacket():
    # KeyPacketV2 without a passphrase: version 2, KDF 0, N/r/p 0, salt 16,
    # fingerprint 6, nonce 12, ciphertext 32, tag 16, then SHA-256[:8] of it all.
    body = bytes([2, 0, 0, 0, 0]) + os.urandom(16 + 6 + 12 + 32 + 16)
    return base64.b64encode(body + hashlib.sha256(body).digest()[:8]).decode()


def day(server, key):
    account, record, address = server
    sub = "BENCHSUB%d" % account
    r = "/api/backup/record/%d/" % record
    q = urllib.parse.urlencode
    reqs = [
        ("GET", "/api/backup/archive/timestamp/?" + q({"turnkey_version": "core-18.0"}), sub, ""),
        ("GET", r, sub, ""),
        ("GET", "/api/backup/credentials/?" + q({"backup_id": record}), sub, ""),
        ("PUT", r + "inprogress/", sub, q({"bool": "true"})),
        ("PUT", "/api/backup/record/update/", sub, q({"backup_id": record, "address": address, "skpp": "false"})),
        ("GET", r, sub, ""),
        ("PUT", r + "inprogress/", sub, q({"bool": "false"})),
    ]
    if random.random() < 0.05:
        reqs.append(("GET", "/api/backup/records/", sub, ""))
    if random.random() < 0.02:
        reqs.append(("GET", "/api/backup/subkey/?" + q({"apikey": "BENCHKEY%d" % account}), "", ""))
        reqs.append(("POST", "/api/backup/record/create/", sub,
                     q({"key": key, "turnkey_version": "core-18.0", "server_id": "new-%d" % random.randrange(1 << 30)})))
    return reqs


def write_requests(servers_file, out, count):
    servers = []
    for line in open(servers_file):
        a, r, addr = line.rstrip("\n").split("\t")
        servers.append((int(a), int(r), addr))
    random.seed(19)
    key = keypacket()
    lines = []
    while len(lines) < count:
        lines.extend(day(random.choice(servers), key))
    with open(out, "w") as f:
        for m, p, s, b in lines[:count]:
            f.write("%s\t%s\t%s\t%s\n" % (m, p, s, b))


def route(method, path):
    """The route a request takes, for the per-route breakdown."""
    parts = [("ID" if x.isdigit() else x) for x in path.split("?")[0].split("/") if x]
    return method + " /" + "/".join(parts[2:])


def load(path):
    reqs = []
    for line in open(path):
        m, p, s, b = line.rstrip("\n").split("\t")
        head = "%s %s HTTP/1.1\r\nHost: hub\r\nAccept: application/json\r\nX-Bam-Client: 1\r\n" % (m, p)
        if s:
            head += "subkey: %s\r\n" % s
        if b or m in ("POST", "PUT"):
            head += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n" % len(b)
        reqs.append((route(m, p), (head + "\r\n" + b).encode()))
    return reqs


async def exchange(reader, writer, req):
    writer.write(req)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked, close = 0, False, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        k, _, v = line.decode("latin-1").partition(":")
        k = k.strip().lower(); v = v.strip()
        if k == "content-length":
            length = int(v)
        elif k == "transfer-encoding" and "chunked" in v.lower():
            chunked = True
        elif k == "connection" and v.lower() == "close":
            close = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, close


async def paced(path, host, port, rate, duration, connections):
    reqs = load(path)
    pool = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(None)  # opened on first use
    latencies, statuses, errors, by_route = [], {}, 0, {}
    start = time.monotonic() + 0.2
    total = int(rate * duration)

    async def one(i, due):
        nonlocal errors
        conn = await pool.get()
        try:
            if conn is None:
                conn = await asyncio.open_connection(host, port)
            name, req = reqs[i % len(reqs)]
            status, close = await asyncio.wait_for(exchange(conn[0], conn[1], req), 30)
            latencies.append(time.monotonic() - due)
            by_route.setdefault(name, []).append(latencies[-1])
            statuses[status] = statuses.get(status, 0) + 1
            if status >= 400:
                errors += 1
            if close:
                conn[1].close(); conn = None
        except Exception:
            errors += 1
            if conn is not None:
                conn[1].close()
            conn = None
        finally:
            pool.put_nowait(conn)

    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")
    return {"offered": rate, "achieved": round(len(latencies) / elapsed, 1), "requests": total,
            "p50_ms": round(pct(0.50), 1), "p99_ms": round(pct(0.99), 1), "max_ms": round(pct(1.0), 1),
            "errors": errors, "statuses": statuses,
            "routes": {name: {"n": len(v), "p50_ms": round(sorted(v)[len(v) // 2] * 1000, 1),
                              "p99_ms": round(sorted(v)[min(len(v) - 1, int(0.99 * len(v)))] * 1000, 1)}
                       for name, v in sorted(by_route.items())}}


def main():
    cmd = sys.argv[1]
    if cmd == "keypacket":
        print(keypacket())
    elif cmd == "requests":
        write_requests(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "paced":
        path, url, rate, duration = sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
        u = urllib.parse.urlparse(url)
        result = asyncio.run(paced(path, u.hostname, u.port, rate, duration, int(os.environ.get("BENCH_CONNECTIONS", "64"))))
        print(json.dumps(result))
    else:
        sys.exit("usage: load.py keypacket | requests SERVERS OUT COUNT | paced FILE URL RATE SECONDS")


if __name__ == "__main__":
    main()
