#!/usr/bin/env python3
"""Checks that no folder of src/ includes from a folder above it (docs/architecture.md, section 2),
and that a channel folder (src/channels/<name>/) includes no other channel folder.
Prints each offending include as file:line and exits 1 when there is one."""
import os
import re
import sys

ORDER = ["core", "project", "nlu", "dialogue", "bot", "store", "events", "runtime", "actions", "ops",
         "channels", "cli"]
# Folders of channels/ that every channel may use; the others are channels and stay apart.
CHANNEL_SHARED = {"http", "admin"}

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
include = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
bad = []
for folder, _, files in os.walk(root):
    for name in files:
        path = os.path.join(folder, name)
        rel = os.path.relpath(path, root).split(os.sep)
        top = rel[0]
        if top not in ORDER:
            bad.append(f"src/{'/'.join(rel)}: folder '{top}' is not in the layer order")
            continue
        with open(path, errors="replace") as f:
            for number, line in enumerate(f, 1):
                m = include.match(line)
                if not m or "/" not in m.group(1):
                    continue
                target = m.group(1).split("/")
                if target[0] not in ORDER:
                    continue
                where = f"src/{'/'.join(rel)}:{number}: includes {m.group(1)}"
                if ORDER.index(target[0]) > ORDER.index(top):
                    bad.append(f"{where} ({top} is below {target[0]})")
                elif top == "channels" and target[0] == "channels" and len(rel) > 2 and len(target) > 2:
                    mine, theirs = rel[1], target[1]
                    if mine not in CHANNEL_SHARED and theirs not in CHANNEL_SHARED and mine != theirs:
                        bad.append(f"{where} (channel {mine} uses channel {theirs})")
for b in sorted(bad):
    print(b)
sys.exit(1 if bad else 0)
