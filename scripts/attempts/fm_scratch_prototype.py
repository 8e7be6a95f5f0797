"""Prototype of the Fashion-MNIST default (session 2026-11-24), kept for the attempt rows it measured.

A small CNN from scratch trained on SCAN with dense-SIFT neighbours, printing every head's accuracy per epoch
(labels used only to report). Needs /tmp/exp/y.npy (the hidden labels in competition order). kit's version is
refine with `model: small_cnn` (configs/fashion_mnist.yaml). Arguments key=value: ep (SCAN epochs), sl
(self-label epochs), k, w (width), aug, strong, lr, ew (entropy weight), bs, cos (1: cosine lr), ck (checkpoint).
    python scripts/attempts/fm_scratch_prototype.py ep=12 sl=4 k=20
"""
import numpy as np, time, torch, torch.nn as nn, sys, torch.nn.functional as F
from kit.competition import load_competition
from kit.metrics import cluster_accuracy
from kit.features.neighbors import knn
from kit.refine.losses import scan_loss, self_label_loss
from kit.train.augment import tensor_augment
import kornia.feature as KF
torch.set_num_threads(2); torch.manual_seed(0)
args = dict(a.split("=") for a in sys.argv[1:])
EP = int(args.get("ep", 15)); SL = int(args.get("sl", 6)); W = int(args.get("w", 32)); AUG = args.get("aug", "light")
NB = args.get("nb", "dsift"); LR = float(args.get("lr", 1e-3)); EW = float(args.get("ew", 5)); BS = int(args.get("bs", 256))
comp = load_competition("competitions/fashion_mnist")
y = np.load("/tmp/exp/y.npy", allow_pickle=True)
imgs = comp.images.images
X = torch.from_numpy(imgs[..., 0].astype(np.float32) / 255)[:, None]
t0 = time.time()
if NB == "dsift":
    d = KF.DenseSIFTDescriptor(num_ang_bins=8, num_spatial_bins=4, spatial_bin_size=3, stride=4, padding=0)
    with torch.no_grad():
        Fe = torch.cat([d(X[i:i+1000]).flatten(1) for i in range(0, len(X), 1000)]).numpy()
else:
    Fe = X.flatten(1).numpy()
KN = int(args.get("k", 20)); nbr, _ = knn(Fe, KN)
print("neighbours", NB, "purity", (y[nbr] == y[:, None]).mean(), f"{time.time()-t0:.0f}s", flush=True)
def net(w):
    return nn.Sequential(
        nn.Conv2d(1,w,3,padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(w,2*w,3,padding=1), nn.BatchNorm2d(2*w), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(2*w,4*w,3,padding=1), nn.BatchNorm2d(4*w), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
enc = net(W); heads = nn.ModuleList(nn.Sequential(nn.Linear(4*W, 10)) for _ in range(3))
opt = torch.optim.Adam(list(enc.parameters()) + list(heads.parameters()), lr=LR, weight_decay=1e-4)
COS = int(args.get("cos", 1)); SLLR = float(args.get("sllr", 1e-4)); STRONG = args.get("strong", "strong"); CK = args.get("ck", "")
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EP * ((20000 + BS - 1)//BS), eta_min=LR * 0.01) if COS else None
start = 0
if CK:
    st = torch.load(CK); enc.load_state_dict(st["enc"]); heads.load_state_dict(st["heads"]); best = st["best"]; start = EP
n = len(X)
def predict():
    enc.eval(); heads.eval()
    with torch.no_grad():
        Z = torch.cat([enc(X[i:i+2000]) for i in range(0, n, 2000)])
        return [h(Z).softmax(1) for h in heads]
best = best if CK else 0
for ep in range(start, EP + SL):
    if ep == EP:
        torch.save(dict(enc=enc.state_dict(), heads=heads.state_dict(), best=best), f'/tmp/exp/scan_{EP}_{COS}.pt')
        for gr in opt.param_groups: gr['lr'] = SLLR
        sched = None
    t = time.time(); g = torch.Generator().manual_seed(ep)
    enc.train(); heads.train()
    order = torch.randperm(n, generator=g).numpy(); losses = np.zeros(3); conf = 0
    for i in range(0, n, BS):
        a = order[i:i+BS]
        if ep < EP:
            pick = torch.randint(0, KN, (len(a),), generator=g).numpy()
            xa = tensor_augment(X[a], AUG, g); xn = tensor_augment(X[nbr[a, pick]], AUG, g)
            z = enc(torch.cat([xa, xn])); za, zn = z[:len(a)], z[len(a):]
            out = [scan_loss(h(za), h(zn), EW) for h in heads]
            loss = sum(o[0] for o in out); losses += [float(o[0]) for o in out]
        else:
            z = heads[best](enc(torch.cat([X[a], tensor_augment(X[a], STRONG, g)])))
            wl, sl = z[:len(a)].detach(), z[len(a):]
            loss, c = self_label_loss(wl, sl, 0.99, 10); conf += c
        opt.zero_grad(); loss.backward(); opt.step()
        if sched is not None: sched.step()
    if ep < EP: best = int(np.argmin(losses))
    P = predict()
    print(ep, f"{time.time()-t:.0f}s", "acc heads", [round(cluster_accuracy(y, p.argmax(1).numpy()), 3) for p in P], "best", best, "loss", np.round(losses/ (n//BS), 3), "conf", conf, flush=True)
