#!/usr/bin/env python3
"""The consumer a user would write in Python, for scripts/throughput.sh's comparison:
confluent-kafka consuming the topic from the beginning, orjson.loads per message, and per
feature bisect.bisect_right on the baseline's edges into per-feature count lists.
Prints messages per second from the first message to the COUNT-th.

    consumer.py BROKERS TOPIC COUNT BASELINE.json
"""
import bisect
import os
import sys
import time

import orjson
from confluent_kafka import Consumer


def main():
    brokers, topic, count, baseline = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with open(baseline, "rb") as f:
        model = orjson.loads(f.read())["models"][0]
    features = [(f["name"], f["edges"]) for f in model["features"] if f["type"] == "numeric"]
    counts = {name: [0] * (len(edges) + 2) for name, edges in features}
    c = Consumer({
        "bootstrap.servers": brokers,
        "group.id": f"python-{os.getpid()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    c.subscribe([topic])
    n, first = 0, None
    deadline = time.time() + 300
    while n < count and time.time() < deadline:
        msgs = c.consume(num_messages=1000, timeout=0.1)
        for m in msgs:
            if m.error():
                continue
            if first is None:
                first = time.time()
            event = orjson.loads(m.value())
            for name, edges in features:
                v = event.get(name)
                if v is None:
                    counts[name][-1] += 1
                else:
                    counts[name][bisect.bisect_right(edges, v)] += 1
            n += 1
    secs = time.time() - first if first else 0.0
    c.close()
    print(f"python (confluent-kafka, orjson, bisect): {n} messages in {secs:.2f} s: {n / max(secs, 1e-9):.0f} messages/s")


if __name__ == "__main__":
    main()
