"""End-to-end throughput of `cascade serve` over HTTP: the server in its own process, a burst of streaming clients.

For each checkpoint (`--cc`, decoded with rule `verify`; `--ar`, with rule `ar`), `cascade serve` runs as a subprocess
(`--backend engine --compile` on a GPU, the CLI's defaults otherwise) and this process sends `--requests` streaming
completions at once over HTTP (httpx, one event loop): prompts of `--prompt_len` token ids (evenly spaced windows of the
validation split, the same as `serve_load.py`), `max_tokens` drawn uniformly from [`--min_new`, `--max_new`] (seeded),
greedy, `stream_options.include_usage`. The burst runs twice on one server (the first builds and compiles its engines);
the second is timed: the wall time from the first request sent to the last stream closed, completion tokens/s (the
servers' own usage counts), per request the time to its first text and to its end (p50, p90), and the server-sent
events received (the server merges blocks that arrive while a piece goes out). `serve_load.py` measures the scheduler
alone; the difference is the HTTP layer's cost. `--variants` runs other servers (`old`: an older `cascade` package from
`--old_code`; `switch`: the interpreter switching threads every 0.5 ms) and `--clients raw` a client of bare asyncio
connections beside httpx, to tell the server's costs from the client's.

    python experiments/serve_http.py --cc checkpoints/convert_cc3_b4 --ar checkpoints/twin_ar --out results/serve_http_gpu.json
    python experiments/serve_http.py --cc checkpoints/convert_cc3_b4 --requests 6 --max_new 8 --device cpu --out /tmp/serve_http_cpu.json   # a smoke test
"""
import argparse, asyncio, hashlib, json, os, random, socket, subprocess, sys, time
from pathlib import Path
import torch
from cascade.bench import val_prompts
from cascade.results import make_result, write_result


def pct(xs:list, q:float):
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] if s else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


VARIANTS = {'new': 'this code', 'old': 'the code in --old_code (PYTHONPATH)',
            'switch': 'this code, the interpreter switching threads every 0.5 ms (sys.setswitchinterval) instead of 5 ms'}

def start_server(ck:str, port:int, a, log, variant:str='new') -> subprocess.Popen:
    "`cascade serve` on 127.0.0.1:port (as `variant`), its output to `log`; returns once /v1/models answers (or raises)."
    import httpx
    args = ['serve', ck, '--host', '127.0.0.1', '--port', str(port), '--max-batch', str(a.max_batch), '--name', 'm', '--device', a.device]
    if a.device.startswith('cuda'): args += ['--backend', 'engine', '--compile']
    args += ['--verify-chunk', str(a.verify_chunk), '--ar-chunk', str(a.ar_chunk)]
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    first = {'switch': 'sys.setswitchinterval(5e-4); ', 'old': f'sys.path.insert(0, {str(Path(a.old_code or ".").resolve())!r}); '}.get(variant, '')
    cmd = [sys.executable, '-c', f'import sys; {first}import cascade; print("cascade from", cascade.__file__, flush=True); '
           'from cascade.cli import main; sys.exit(main(sys.argv[1:]))'] + args     # (-c: the old package must come before the working tree)
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    t = time.time()
    while time.time() - t < a.start_timeout:
        if proc.poll() is not None: raise SystemExit(f'the server exited with {proc.returncode} (see {log.name})')
        try:
            if httpx.get(f'http://127.0.0.1:{port}/v1/models', timeout=2).status_code == 200: return proc
        except httpx.HTTPError: pass
        time.sleep(0.5)
    proc.terminate(); raise SystemExit(f'the server did not answer in {a.start_timeout} s')


async def one(client, url:str, prompt:list, n:int, rule:str, t0:float) -> dict:
    body = dict(model='m', prompt=prompt, max_tokens=n, stream=True, stream_options={'include_usage': True}, rule=rule, temperature=0)
    st = new_stream()
    async with client.stream('POST', url, json=body) as r:
        if r.status_code != 200: raise SystemExit(f'HTTP {r.status_code}: {(await r.aread())[:300]!r}')
        async for line in r.aiter_lines():
            if line.startswith('data: ') and line != 'data: [DONE]': take_event(st, json.loads(line[6:]), t0)
    return dict(st, end=time.perf_counter() - t0)


def new_stream() -> dict: return dict(first=None, events=0, tokens=0, finish=None, text='')

def take_event(st:dict, e:dict, t0:float):
    "One parsed server-sent event into a stream's record: first text time, events, completion tokens (usage), finish reason, text."
    if 'error' in e: raise SystemExit(f"server error: {e['error']}")
    if e.get('usage'): st['tokens'] = e['usage']['completion_tokens']
    for ch in e.get('choices', []):
        st['events'] += 1
        if ch['text'] and st['first'] is None: st['first'] = time.perf_counter() - t0
        st['text'] += ch['text']; st['finish'] = ch['finish_reason'] or st['finish']


async def one_raw(host:str, port:int, body:dict, t0:float) -> dict:
    "The same request over a bare asyncio connection (HTTP/1.1, chunked transfer parsed by hand): no client library in the way."
    reader, writer = await asyncio.open_connection(host, port)
    connected = time.perf_counter() - t0                                   # a connect stalled by a full listen backlog shows here
    data = json.dumps(body).encode()
    writer.write(f'POST /v1/completions HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n'
                 f'Content-Length: {len(data)}\r\nConnection: close\r\n\r\n'.encode() + data)
    await writer.drain()
    status = await reader.readline()
    if b' 200 ' not in status: raise SystemExit(f'HTTP {status!r}')
    chunked = False
    while True:
        h = await reader.readline()
        if h in (b'\r\n', b''): break
        if h.lower().startswith(b'transfer-encoding') and b'chunked' in h.lower(): chunked = True
    buf, st = b'', new_stream()
    while True:
        if chunked:
            size = int((await reader.readline()).strip() or b'0', 16)
            if size == 0: break
            buf += await reader.readexactly(size); await reader.readexactly(2)
        else:
            got = await reader.read(65536)
            if not got: break
            buf += got
        while b'\n\n' in buf:
            ev, buf = buf.split(b'\n\n', 1)
            if ev.startswith(b'data: ') and ev != b'data: [DONE]': take_event(st, json.loads(ev[6:]), t0)
    writer.close()
    return dict(st, end=time.perf_counter() - t0, connected=connected)


async def burst_http(url:str, reqs:list, rule:str, timeout:float, client:str='httpx') -> dict:
    import httpx
    limits = httpx.Limits(max_connections=len(reqs), max_keepalive_connections=len(reqs))
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as cl:
        t0 = time.perf_counter()
        if client == 'raw':
            host, port = url.split('//')[1].split('/')[0].split(':')
            body = lambda p, n: dict(model='m', prompt=p, max_tokens=n, stream=True, stream_options={'include_usage': True}, rule=rule, temperature=0)
            res = await asyncio.gather(*[one_raw(host, int(port), body(p, n), t0) for p, n in reqs])
        else: res = await asyncio.gather(*[one(cl, url, p, n, rule, t0) for p, n in reqs])
    wall = max(r['end'] for r in res)
    tok = sum(r['tokens'] for r in res)
    if any(r['finish'] not in ('stop', 'length') for r in res): raise SystemExit('a stream ended without a finish reason')
    return dict(wall_s=wall, tokens=tok, tokens_per_s=tok / wall, events=sum(r['events'] for r in res),
                stopped=sum(r['finish'] == 'stop' for r in res),
                ttft_p50_s=pct([r['first'] for r in res if r['first'] is not None], 0.5),
                ttft_p90_s=pct([r['first'] for r in res if r['first'] is not None], 0.9),
                latency_p50_s=pct([r['end'] for r in res], 0.5), latency_p90_s=pct([r['end'] for r in res], 0.9),
                connect_p50_s=pct([r['connected'] for r in res if 'connected' in r], 0.5),
                connect_max_s=max((r['connected'] for r in res if 'connected' in r), default=None),
                texts=[r['text'] for r in res])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cc', help='a clean-causal checkpoint (rule verify)')
    ap.add_argument('--ar', help='a causal checkpoint (rule ar)')
    ap.add_argument('--requests', type=int, default=512)
    ap.add_argument('--prompt_len', type=int, default=128)
    ap.add_argument('--min_new', type=int, default=16)
    ap.add_argument('--max_new', type=int, default=256)
    ap.add_argument('--max_batch', type=int, default=64, help="the server's --max-batch")
    ap.add_argument('--variants', nargs='+', default=['new'], choices=sorted(VARIANTS), help='server variants (each its own server)')
    ap.add_argument('--old_code', default=None, help="variant 'old': a folder holding an older `cascade` package")
    ap.add_argument('--clients', nargs='+', default=['httpx'], choices=('httpx', 'raw'), help='clients (each a timed burst on every server)')
    ap.add_argument('--verify_chunk', type=int, default=1, help="the servers' --verify-chunk (verify steps per streamed event)")
    ap.add_argument('--ar_chunk', type=int, default=4, help="the servers' --ar-chunk (AR steps per streamed event)")
    ap.add_argument('--repeats', type=int, default=1, help='timed bursts per client and server (each a run in the results)')
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--start_timeout', type=float, default=300)
    ap.add_argument('--timeout', type=float, default=600)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--logs', default='results/logs', help="the servers' logs go here")
    ap.add_argument('--out', default='results/serve_http_gpu.json')
    a = ap.parse_args(argv)
    models = [(k, d, rule) for k, d, rule in (('cc', a.cc, 'verify'), ('ar', a.ar, 'ar')) if d]
    if not models: raise SystemExit('nothing to serve: give --cc and/or --ar')
    for _, d, _ in models:                                                  # every input checked before any work
        if not (Path(d) / 'config.json').is_file(): raise SystemExit(f'{d}: no saved model there')
    if min(a.requests, a.max_batch, a.prompt_len, a.repeats, a.verify_chunk, a.ar_chunk) < 1 or not 1 <= a.min_new <= a.max_new:
        raise SystemExit('--requests, --max_batch, --prompt_len, --repeats, --verify_chunk, --ar_chunk >= 1 and 1 <= --min_new <= --max_new')
    if 'old' in a.variants and not (a.old_code and (Path(a.old_code) / 'cascade' / '__init__.py').is_file()):
        raise SystemExit("variant 'old' needs --old_code DIR holding a cascade package")
    if a.device.startswith('cuda') and not torch.cuda.is_available(): raise SystemExit('no CUDA GPU here (--device cpu runs a smoke test)')
    rng = random.Random(a.seed)
    reqs = [(p, rng.randint(a.min_new, a.max_new)) for p in val_prompts(a.requests, a.prompt_len)]
    somax = Path('/proc/sys/net/core/somaxconn')
    cfg = dict(vars(a), requested_tokens=sum(n for _, n in reqs), prompts='evenly spaced windows of data/sample/val.bin',
               somaxconn=int(somax.read_text()) if somax.is_file() else None,   # the kernel's cap on a listen backlog
               client='httpx.AsyncClient, one event loop, every request at once')
    for k, d, _ in models:
        f = Path(d) / 'manifest.json'
        cfg[f'{k}_manifest_sha256'] = hashlib.sha256(f.read_bytes()).hexdigest() if f.is_file() else None
    out, t_start = dict(runs=[]), time.time()
    def save():
        out['wall_s'] = time.time() - t_start
        return write_result(a.out, make_result(Path(a.out).stem, 'serve_http', cfg, out, seed=a.seed, device=torch.device(a.device)))
    Path(a.logs).mkdir(parents=True, exist_ok=True)
    for k, d, rule in models:
        for variant in a.variants:
            port = free_port()
            with open(Path(a.logs) / f'{Path(a.out).stem}_{k}_{variant}_server.log', 'w') as log:
                proc = start_server(d, port, a, log, variant)
                try:
                    url = f'http://127.0.0.1:{port}/v1/completions'
                    t = time.time(); asyncio.run(burst_http(url, reqs, rule, a.timeout)); warm = time.time() - t
                    for client, rep in [(c, j) for c in a.clients for j in range(a.repeats)]:
                        r = asyncio.run(burst_http(url, reqs, rule, a.timeout, client)); r.pop('texts')
                        r.update(model=k, rule=rule, variant=variant, client=client, repeat=rep, max_batch=a.max_batch, warmup_s=warm)
                        out['runs'].append(r); save()
                        print(f"{k} ({rule}), server {variant}, client {client}: {r['tokens_per_s']:9.0f} tok/s  wall {r['wall_s']:.2f} s  "
                              f"latency p50/p90 {r['latency_p50_s']:.2f}/{r['latency_p90_s']:.2f} s  first text p50 {r['ttft_p50_s']:.3f} s  "
                              f"{r['events']} events for {r['tokens']} tokens, connect max {r['connect_max_s'] or float('nan'):.3f} s (warm-up {warm:.0f} s)", flush=True)
                finally:
                    proc.terminate()
                    try: proc.wait(30)
                    except subprocess.TimeoutExpired: proc.kill()
    best = {k: max((r['tokens_per_s'] for r in out['runs'] if r['model'] == k), default=None) for k in ('cc', 'ar')}
    if best['cc'] and best['ar']:
        out['cc_over_ar'] = best['cc'] / best['ar']
        print(f"verify over ar, tokens/s over HTTP (each its fastest server and client): x{out['cc_over_ar']:.2f}", flush=True)
    path = save(); print(f'wrote {path}')


if __name__ == '__main__': main()
