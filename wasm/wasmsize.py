#!/usr/bin/env python3
# Attributes the code bytes of a Go wasm binary built WITHOUT -ldflags="-s -w"
# (it needs the name section) to packages. Used for docs/benchmarks.md:
#   GOOS=js GOARCH=wasm go build -trimpath -o /tmp/p.wasm ./wasm && python3 wasm/wasmsize.py /tmp/p.wasm
import sys, collections, re
data = open(sys.argv[1], 'rb').read()
def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i
i = 8; imports = 0; bodies = []; names = {}; sections = collections.Counter()
while i < len(data):
    sid = data[i]; i += 1
    size, i = leb(data, i); end = i + size
    sections[sid] += size
    if sid == 2:  # imports: count function imports
        n, j = leb(data, i)
        for _ in range(n):
            l, j = leb(data, j); j += l
            l, j = leb(data, j); j += l
            kind = data[j]; j += 1
            if kind == 0: _, j = leb(data, j); imports += 1
            elif kind == 1: j += 1; fl = data[j]; j += 1; _, j = leb(data, j); j = leb(data, j)[1] if fl & 1 else j
            elif kind == 2: fl = data[j]; j += 1; _, j = leb(data, j); j = leb(data, j)[1] if fl & 1 else j
            elif kind == 3: j += 2
    elif sid == 10:
        n, j = leb(data, i)
        for _ in range(n):
            l, j = leb(data, j); bodies.append(l); j += l
    elif sid == 0:
        l, j = leb(data, i); nm = data[j:j+l].decode(); j += l
        if nm == 'name':
            while j < end:
                sub = data[j]; j += 1
                sl, j = leb(data, j); se = j + sl
                if sub == 1:
                    n, j = leb(data, j)
                    for _ in range(n):
                        idx, j = leb(data, j); l, j = leb(data, j)
                        names[idx] = data[j:j+l].decode(errors='replace'); j += l
                j = se
    i = end
per = collections.Counter()
def pkg(name):
    # Go's wasm names spell "a/b.F" as "a_b.F".
    name = re.sub(r'\[.*', '', name)
    if name.startswith('github.com_'):
        head = name.split('.', 2)
        p = head[0] + '.' + head[1]
    else:
        p = name.split('.', 1)[0]
    return p.replace('_', '/')
for k, sz in enumerate(bodies):
    per[pkg(names.get(k + imports, '?'))] += sz
total = sum(bodies)
group = collections.Counter()
for p, sz in per.items():
    if p.startswith('parley/'): g = p
    elif p.startswith('github.com/hack/pad'): g = 'github.com/hack-pad/{go-indexeddb,safejs}'
    elif p.startswith('crypto') or p.startswith('math/big') or p.startswith('math/rand'): g = 'crypto/* + math/big + math/rand (crypto/rand)'
    elif p.startswith('runtime') or p.startswith('internal') or p.startswith('type/') or p in ('memchr','callRet','gcWriteBarrier','memcmp','memeqbody','cmpbody') or p.startswith('wasm/') or p.startswith('/rt0') or p.startswith('go/buildid') or p in ('sync', 'sync/atomic', 'syscall', 'syscall/js', 'time', 'os', 'unique', 'weak', 'iter'): g = 'runtime, syscall/js, os, time, sync, internal/*'
    elif p.startswith('log'): g = 'log, log/slog'
    elif p.startswith('encoding/json'): g = 'encoding/json'
    elif p in ('reflect', 'internal/reflectlite'): g = 'reflect'
    elif p in ('fmt',): g = 'fmt'
    elif p.startswith('net/'): g = 'net/url, net/netip'
    elif p.startswith('unicode') or p.startswith('encoding/') and p != 'encoding/json' or p in ('strconv', 'strings', 'bytes', 'sort', 'slices', 'math', 'math/bits', 'errors', 'context', 'io', 'io/fs', 'path', 'encoding', 'encoding/base64', 'encoding/hex', 'hash', 'cmp'): g = 'strconv, strings, bytes, unicode, math, sort, io, context, errors, ...'
    else: g = p
    group[g] += sz
print(f"code section: {total} bytes in {len(bodies)} functions; data section: {sections[11]} bytes; other sections: {sum(sections.values()) - sections[10] - sections[11]} bytes")
for g, sz in group.most_common():
    print(f"{sz:9d}  {100*sz/total:5.1f}%  {g.replace('parley/wasm/wrapper', 'parley/wasm_wrapper').replace('parley/event/listener', 'parley/event_listener')}")
