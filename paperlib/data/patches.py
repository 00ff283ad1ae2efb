"""HR patch extraction, augmentation and the batched on-the-fly degradation.

The DRIDSR paper crops 192 x 192 HR patches from the training images and reports
1,498 LR-HR pairs from 600 images; a non-overlapping grid (stride = patch) on our seeded
600-image split gives 1,470 (images smaller than a patch give none), so the grid is
the default and ``stride`` is exposed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError


@dataclass
class PatchReport:
    """What :func:`extract_patches_from` did: counts, and which images were too small."""

    n_images: int = 0
    n_patches: int = 0
    too_small: list = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.n_patches} HR patches from {self.n_images - len(self.too_small)} of {self.n_images} images "
            f"({len(self.too_small)} smaller than the patch)"
        )


def grid_patches(img: np.ndarray, patch: int, stride: int | None = None) -> np.ndarray:
    """All ``patch x patch`` crops of an H x W image on a grid with ``stride`` (default: non-overlapping).

    Returns an array (N, patch, patch) of the image's dtype; N = 0 when the image is smaller than a patch.
    """
    stride = stride or patch
    h, w = img.shape[:2]
    if h < patch or w < patch:
        return np.zeros((0, patch, patch), dtype=img.dtype)
    ys = range(0, h - patch + 1, stride)
    xs = range(0, w - patch + 1, stride)
    return np.stack([img[y : y + patch, x : x + patch] for y in ys for x in xs])


def extract_patches_from(images, patch: int = 192, stride: int | None = None, names=None):
    """Grid patches from many images; returns ``(patches (N, p, p), source index per patch, PatchReport)``."""
    out, src, rep = [], [], PatchReport()
    for i, img in enumerate(images):
        rep.n_images += 1
        ps = grid_patches(img, patch, stride)
        if len(ps) == 0:
            rep.too_small.append(names[i] if names is not None else i)
            continue
        out.append(ps)
        src.extend([i] * len(ps))
    if not out:
        raise DataError(f"no {patch}x{patch} patch fits in any of the {rep.n_images} images")
    patches = np.concatenate(out)
    rep.n_patches = len(patches)
    return patches, np.asarray(src, dtype=np.int32), rep


def random_crop_pair(img: np.ndarray, patch: int, rng: np.random.Generator, name: str = "image") -> np.ndarray:
    """One random ``patch x patch`` crop; a clear error when the image is smaller than the patch."""
    h, w = img.shape[:2]
    if h < patch or w < patch:
        raise DataError(f"{name}: image {h}x{w} is smaller than the {patch}x{patch} patch")
    y = int(rng.integers(0, h - patch + 1))
    x = int(rng.integers(0, w - patch + 1))
    return img[y : y + patch, x : x + patch]


def augment_np(img: np.ndarray, hflip: bool, rot: int) -> np.ndarray:
    """Horizontal flip then rotation by ``rot`` x 90 degrees (both papers' augmentation)."""
    if hflip:
        img = img[:, ::-1]
    return np.rot90(img, k=rot, axes=(0, 1)).copy() if rot else img.copy()


def augment_batch(x, generator=None):
    """Random horizontal flip and 0/90/180/270 rotation, drawn per sample, on an N x C x H x W tensor (square)."""
    import torch

    n = x.shape[0]
    flips = torch.randint(0, 2, (n,), generator=generator, device="cpu")
    rots = torch.randint(0, 4, (n,), generator=generator, device="cpu")
    out = torch.empty_like(x)
    # group by the 8 dihedral transforms so each is one batched op
    for f in (0, 1):
        for r in range(4):
            idx = ((flips == f) & (rots == r)).nonzero().flatten()
            if len(idx) == 0:
                continue
            idx = idx.to(x.device)
            t = x.index_select(0, idx)
            if f:
                t = t.flip(-1)
            if r:
                t = torch.rot90(t, r, dims=(-2, -1))
            out.index_copy_(0, idx, t)
    return out


class PatchSampler:
    """Batches of (LR, HR) pairs from in-memory stored HR patches: the fast data path.

    Everything after indexing runs batched in torch on ``device``: random crop to
    ``patch`` (when the stored patches are larger), flip/rotation, and the degradation of
    :meth:`paperlib.data.intensity.Intensity.degrade` (the same function evaluation uses:
    MATLAB bicubic, LR stored at the data's precision, mapped to [0, 1]). No worker
    processes, no per-sample numpy.

    Args:
        hr_patches: (N, H, W) or (N, 1, H, W) array/tensor of stored HR patches (uint8 or int16 HU).
        scale: SR factor; ``patch`` must be a multiple of it.
        patch: HR patch size fed to the model (<= stored size).
        batch_size: patches per batch.
        seed: seeds the sampler's own generator (independent of the global RNG).
        device: where batches are built.
        augment: apply random flip/rotation.
        intensity: what the stored values mean (:data:`~paperlib.data.intensity.U8` by default).
    """

    def __init__(
        self,
        hr_patches,
        scale: int,
        patch: int,
        batch_size: int,
        seed: int = 0,
        device="cpu",
        augment: bool = True,
        intensity=None,
    ):
        import torch

        from .intensity import U8

        t = torch.as_tensor(np.asarray(hr_patches))
        if t.dim() == 3:
            t = t[:, None]
        if patch % scale:
            raise ValueError(f"HR patch {patch} is not a multiple of scale {scale}")
        if t.shape[-1] < patch or t.shape[-2] < patch:
            raise DataError(f"stored patches {tuple(t.shape[-2:])} are smaller than the requested patch {patch}")
        self.hr = t.to(device)
        self.scale, self.patch, self.batch_size, self.augment = scale, patch, batch_size, augment
        self.intensity = intensity or U8
        self.device = torch.device(device)
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.hr)

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])

    def next_batch(self):
        """Return ``(lr, hr)`` float32 tensors on ``device`` with values in [0, 1]."""
        import torch

        g = self.generator
        idx = torch.randint(0, len(self.hr), (self.batch_size,), generator=g)
        big = self.hr.index_select(0, idx.to(self.hr.device))
        H, W = big.shape[-2:]
        p = self.patch
        if H > p or W > p:
            ys = torch.randint(0, H - p + 1, (self.batch_size,), generator=g)
            xs = torch.randint(0, W - p + 1, (self.batch_size,), generator=g)
            big = torch.stack(
                [big[i, :, y : y + p, x : x + p] for i, (y, x) in enumerate(zip(ys.tolist(), xs.tolist()))]
            )
        hr = big.float()
        if self.augment:
            hr = augment_batch(hr, g)
        return self.intensity.degrade(hr, self.scale)
