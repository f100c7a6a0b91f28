#!/usr/bin/env python3
"""Every metric name the alert rules and the Grafana dashboard use must appear in a real
/metrics scrape. Usage: check-metrics.py SCRAPE_FILE RULES.yml DASHBOARD.json [MORE_RULES.yml…]"""
import json
import re
import sys

import yaml

scrape_file, *sources = sys.argv[1:]
scrape = open(scrape_file).read()
exposed = set(re.findall(r"^# TYPE (\S+) ", scrape, re.M))
# Series Prometheus itself adds to every target.
builtin = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}

exprs = []
for path in sources:
    if path.endswith(".json"):
        dash = json.load(open(path))
        for panel in dash["panels"]:
            exprs += [t["expr"] for t in panel.get("targets", [])]
        for var in dash.get("templating", {}).get("list", []):
            if var.get("type") == "query":
                exprs.append(var["query"])
    else:
        doc = yaml.safe_load(open(path))
        groups = doc["spec"]["groups"] if "spec" in doc else doc["groups"]
        exprs += [r["expr"] for g in groups for r in g["rules"]]

used = set()
for expr in exprs:
    for name in re.findall(r"\b([a-z_][a-z0-9_]*)\s*(?:\{|\[|\)|,|$|\s)", expr):
        if name.startswith(("wxsession_", "process_")) or name in builtin:
            used.add(re.sub(r"_(bucket|sum|count)$", "", name))

missing = sorted(n for n in used if n not in exposed and n not in builtin)
print(f"{len(used)} metric names used by {len(exprs)} queries; {len(exposed)} exposed")
if missing:
    print("used but not exposed:", ", ".join(missing))
    sys.exit(1)
if not any(n.startswith("wxsession_") for n in used):
    print("no wxsession metric found in the queries: the check would be empty")
    sys.exit(1)
