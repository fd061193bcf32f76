#!/usr/bin/env python3
"""A client that keeps asking a URL, for the lab tests and benchmarks of the balancer pair.

    http_probe.py URL SECONDS [INTERVAL_MS] [TIMEOUT_MS] [keep-alive]

Starts one GET, on a new TCP connection, every INTERVAL_MS (default 10) for SECONDS, each in
a thread of its own with a timeout of TIMEOUT_MS (default 500), so that a request that hangs
does not delay the next ones. With `keep-alive`, the GETs go one after the other over one
TCP connection instead (a new one only after a failure): what a connection that lives
across a failover or a drain sees. Prints one JSON object when all have ended:
  {"sent": N, "ok": N, "failed": N, "outages": [{"start": s, "end": s, "ms": x, "failures": n,
   "first_error": "..."}], "longest_outage_ms": x, "unrecovered": bool, "first": s, "last": s,
   "connections": N}
Requests are ordered by start time; an outage is a run of failed requests, from the start of
its first one to the start of the next successful request (wall-clock seconds), so it is
measured to within one interval.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse


def ask(host, port, path, timeout, started, results, lock):
    error = None
    try:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 200:
            error = "HTTP %d" % response.status
    except Exception as exception:  # noqa: BLE001 - every failure counts
        error = type(exception).__name__ + ": " + str(exception)
    with lock:
        results.append((started, error))


def keep_alive(host, port, path, timeout, seconds, interval):
    """Requests over one connection; (results, connections opened)."""
    results, connection, opened = [], None, 0
    start = time.time()
    next_at = start
    while time.time() - start < seconds:
        now = time.time()
        if now < next_at:
            time.sleep(next_at - now)
        next_at += interval
        started, error = time.time(), None
        try:
            if connection is None:
                connection = http.client.HTTPConnection(host, port, timeout=timeout)
                opened += 1
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                error = "HTTP %d" % response.status
            if response.will_close:
                connection.close()
                connection = None
        except Exception as exception:  # noqa: BLE001 - every failure counts
            error = type(exception).__name__ + ": " + str(exception)
            if connection is not None:
                connection.close()
            connection = None
        results.append((started, error))
    if connection is not None:
        connection.close()
    return results, opened


def main():
    url = urllib.parse.urlsplit(sys.argv[1])
    seconds = float(sys.argv[2])
    interval = float(sys.argv[3]) / 1000 if len(sys.argv) > 3 else 0.010
    timeout = float(sys.argv[4]) / 1000 if len(sys.argv) > 4 else 0.5
    persistent = len(sys.argv) > 5 and sys.argv[5] == "keep-alive"
    host, port = url.hostname, url.port or 80
    path = url.path or "/"
    results, lock, threads = [], threading.Lock(), []
    start = time.time()
    next_at = start
    connections = None
    if persistent:
        results, connections = keep_alive(host, port, path, timeout, seconds, interval)
    while not persistent and time.time() - start < seconds:
        now = time.time()
        if now < next_at:
            time.sleep(next_at - now)
        next_at += interval
        thread = threading.Thread(target=ask, args=(host, port, path, timeout, time.time(), results, lock))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    results.sort(key=lambda result: result[0])
    outages, current = [], None
    for started, error in results:
        if error is None:
            if current is not None:
                current["end"] = started
                current["ms"] = round((started - current["start"]) * 1000, 1)
                outages.append(current)
                current = None
        elif current is None:
            current = {"start": started, "failures": 1, "first_error": error}
        else:
            current["failures"] += 1
    if current is not None:
        current["end"] = None
        current["ms"] = None
        outages.append(current)
    failed = sum(1 for _, error in results if error is not None)
    longest = max((outage["ms"] for outage in outages if outage["ms"] is not None), default=0.0)
    print(json.dumps({
        "sent": len(results), "ok": len(results) - failed, "failed": failed, "outages": outages,
        "longest_outage_ms": longest, "unrecovered": current is not None,
        "first": start, "last": time.time(),
        "connections": connections if persistent else len(results),
    }))


if __name__ == "__main__":
    main()
