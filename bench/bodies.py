"""Webhook bodies as a Python sender emits them: json.dumps(payload) with its defaults
(", " and ": " separators, insertion order, non-ASCII as \\uXXXX). Prints JSON {name: body}."""
import json, random, sys

random.seed(7)
NAMES = ["Jürgen Müller", "Zoë Æsir", "Max Mustermann", "Łukasz Żółć", "Renée Dupont", "山田太郎"]

def payload(i):
    return {
        "session_token": "ps_%030d" % i, "status": "COMPLETED", "order_number": "ORD-%08x" % i,
        "amount": "%d.%02d" % (random.randint(1, 999), random.randint(0, 99)), "currency": "EUR",
        "email": "customer%d@example.com" % i, "customer_name": random.choice(NAMES),
    }

def sized(target):
    # Each item's own length is added up, rather than re-serializing the growing list.
    items, size = [], len(json.dumps({"event": "payment_session.completed", "items": []}))
    while size < target:
        item = dict(payload(len(items)), lines=[{"sku": "SKU-%d" % j, "qty": j, "price": j * 1.25} for j in range(3)])
        items.append(item)
        size += len(json.dumps(item)) + 2
    return json.dumps({"event": "payment_session.completed", "items": items})

small = json.dumps(payload(1))
json.dump({"200 B": small, "24 KB": sized(24 * 1024), "1 MB": sized(1024 * 1024), "5 MB": sized(5 * 1024 * 1024)}, sys.stdout)
