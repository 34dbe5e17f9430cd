#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""What one host of a fleet must have installed, by docs/FLEET.md, written apart from the
agent's code (user/lib/fleet.c) so that the test compares two readings of the schema.

  fleet_expect.py SPEC.json HOST SHOW.json

SPEC.json: `etcdctl get --prefix PREFIX/spec/ -w json`; SHOW.json: `sttctl show --json` of
HOST. Only well-formed values are modelled (the test writes the bad ones apart). Prints the
differences and exits 1 if there are any, 0 if the host has exactly what the spec implies.
"""
import base64
import json
import re
import sys

MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")


def load_spec(path):
    spec = {}
    for kv in json.load(open(path)).get("kvs", []):
        key = base64.b64decode(kv["key"]).decode()
        rel = key.split("/spec/", 1)[1]
        try:
            value = json.loads(base64.b64decode(kv.get("value", "")).decode())
        except ValueError:
            continue  # not JSON: the agent skips it
        if rel.startswith("mac/") and not MAC.match(rel.split("/")[-1]):
            continue  # not a MAC: skipped too
        spec[rel] = value
    return spec


def expected(spec, me):
    hosts = {k.split("/")[1]: v["attachment"] for k, v in spec.items() if k.startswith("host/")}
    ctxs = {k.split("/")[1]: v for k, v in spec.items() if k.startswith("context/")}
    vports = {}  # ctx -> {host: value}
    macs = {}  # ctx -> {mac: host}
    for k, v in spec.items():
        parts = k.split("/")
        if parts[0] == "vport":
            vports.setdefault(parts[2], {})[parts[1]] = v
        elif parts[0] == "mac":
            macs.setdefault(parts[1], {})[parts[2]] = v["host"]
    want = {"vports": set(), "fdb": set(), "flood": {}, "peers": {}, "remotes": set(),
            "encap": "stt"}
    if me not in hosts:
        return want
    mine = hosts[me]
    # GUE (docs/FLEET.md): a host whose attachment says "encap": "gue" is sent GUE by the
    # members of its contexts that reach it over IPv4 and have its GUE port (default 6080,
    # 0: off); never in a context >= 2^32 (the GRE key has 32 bits), where it is left out.
    # A host's own default stays STT.
    port = lambda att: att.get("gue_port", 6080)
    gue = {h for h, att in hosts.items()
           if h != me and att.get("encap") == "gue" and "local" in mine and "local" in att
           and port(mine) and port(mine) == port(att)}
    for ctx, byhost in vports.items():
        if me not in byhost or ctx not in ctxs:
            continue
        strict = ctxs[ctx].get("peers") == "strict"
        want["vports"].add((byhost[me]["ifname"], ctx, "strict" if strict else "open"))
        addr = {}
        for h in sorted(byhost):
            if h == me or h not in hosts:
                continue
            if h in gue:
                want["remotes"].add((hosts[h]["local"], "gue", False))
                if int(ctx) >= 2**32:
                    continue
            if "local" in mine and "local" in hosts[h]:
                addr[h] = hosts[h]["local"]
            elif "local6" in mine and "local6" in hosts[h]:
                addr[h] = hosts[h]["local6"]
        if addr:
            group = ctxs[ctx].get("group")
            want["flood"][ctx] = {group} if group else set(list(addr.values())[:16])
            if strict:
                want["peers"][ctx] = set(addr.values())
        for mac, h in macs.get(ctx, {}).items():
            if h in addr:
                want["fdb"].add((ctx, mac.lower(), addr[h]))
    return want


def installed(show):
    have = {"vports": set(), "fdb": set(), "flood": {}, "peers": {}, "remotes": set(),
            "encap": (show.get("attachment") or {}).get("encap", "stt")}
    for v in show.get("vports", []):
        have["vports"].add((v["ifname"], v["context"], v.get("peers", "open")))
    for e in show.get("fdb", []):
        have["fdb"].add((e["context"], e["mac"], e["remote"]))
    for e in show.get("flood", []):
        have["flood"][e["context"]] = set(e["remotes"])
    for e in show.get("peers", []):
        have["peers"][e["context"]] = set(e["remotes"])
    for e in show.get("remotes", []):
        have["remotes"].add((e["address"], e["encap"], e["cookie"]))
    return have


def main():
    spec = load_spec(sys.argv[1])
    want = expected(spec, sys.argv[2])
    have = installed(json.load(open(sys.argv[3])))
    bad = 0
    for part in ("vports", "fdb", "flood", "peers", "remotes", "encap"):
        if want[part] != have[part]:
            bad += 1
            print(f"{sys.argv[2]} {part}: want {sorted(want[part]) if isinstance(want[part], set) else want[part]}"
                  f" have {sorted(have[part]) if isinstance(have[part], set) else have[part]}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
