"""Before a job runs: will it fit, and how? The fastest placement that fits, or a clear no.

Inputs are cheap facts, never loaded weights: the parameter count of each component (from
the safetensors headers, see `engine.model_store`), the dtype the engine loads it in, the
transformer's width, the VAE's compression, and the request (width x height x frames).

Placements, fastest first (each optionally with VAE tiling):
  device      everything on the GPU (on a CPU / MPS engine: everything in system memory)
  model       diffusers model CPU offload: one component on the GPU at a time
  group       diffusers group offload, leaf level (CUDA streams prefetch the next layer)
  sequential  accelerate sequential offload: one leaf module on the GPU at a time

The VAE stays on the device in every offload plan: it is small next to the transformer and
the adapters call `vae.decode` outside the pipeline, where offload hooks would not move it.

The numbers below are estimates, documented so they can be checked and recalibrated
against `bench/gpu_models.py` peaks; they are conservative on purpose (an unneeded offload
costs minutes, an out-of-memory after an hour of sampling costs the hour).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from engine.errors import EngineError
from engine.protocol import ErrorKind

GB = 10**9

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "float8": 1}

# Relative time per job versus "device" (documented estimates, PCIe 4 x16 class hosts):
# model offload moves each component once per job (~10%); leaf-level group offload streams
# every layer every step, hidden behind compute with CUDA streams (~1.4x) or not (~1.8x);
# sequential offload moves each leaf synchronously every step (4-10x, 6x typical). VAE tiling
# recomputes overlapping tile borders in the decode only (~2% of a job).
SLOWDOWN = {"device": 1.0, "model": 1.1, "group": 1.4, "group_no_stream": 1.8, "sequential": 6.0}
TILING_SLOWDOWN = 1.02

# Fraction of free memory a plan may use: the allocator fragments, cuDNN picks workspaces.
HEADROOM = 0.9
# cuBLAS/cuDNN workspaces and the CUDA context's growth after start-up.
DEVICE_OVERHEAD = int(0.5 * GB)
# Process, Python, torch and the decoded frames on the CPU side.
SYSTEM_OVERHEAD = int(1.5 * GB)
# The text encoder runs on a few hundred tokens: its activations are small.
TEXT_ACTIVATIONS = int(0.25 * GB)
# Leaf-level offload moves one leaf module (a Linear, an Embedding) at a time; group offload
# with streams also holds the leaf being prefetched. The largest leaf of a transformer is a
# feed-forward projection, about a third of one block; of a T5/UMT5 text encoder, its token
# embedding (~18% of UMT5-XXL's encoder); otherwise assume a tenth of the component.
GROUP_RESIDENT_LEAVES = 2
TEXT_ENCODER_LARGEST_LEAF = 0.2
OTHER_LARGEST_LEAF = 0.1


@dataclass(frozen=True)
class FamilyConstants:
    """Per-family facts the configs do not carry."""

    # Peak working memory of the VAE decoder per output pixel and per frame in the chunk
    # it decodes at once, in float32 bytes (scaled by the VAE dtype): the widest decoder
    # stages at full resolution, a causal-conv cache and the residual branch.
    vae_bytes_per_pixel: int
    # Frames the VAE decodes at once untiled (None: the whole clip), and tiled.
    vae_chunk_frames: int | None
    vae_tiled_chunk_frames: int | None
    # Spatial tile the tiled decoder works on (diffusers' tile_sample_min_* defaults).
    tile_pixels: int
    # 1 when the pipeline runs the conditional and unconditional passes one after the other
    # (Wan), 2 when it batches them (LTX, CogVideoX).
    cfg_batch: int
    vae_float32: bool = False  # the adapter keeps the VAE in float32 whatever the device


FAMILIES = {
    # Wan's causal VAE decodes one latent frame (4 video frames) at a time with a cache.
    "wan": FamilyConstants(1536, 4, 4, 256 * 256, 1, vae_float32=True),
    # CogVideoX decodes frame_batch_size=2 latent frames (8 video frames) at a time.
    "cogvideox": FamilyConstants(2048, 8, 8, 240 * 360, 2),
    # LTX's VAE decodes the whole clip at once; tiling adds 16-frame temporal tiles.
    "ltx": FamilyConstants(1024, None, 16, 512 * 512, 2),
}
GENERIC = FamilyConstants(2048, None, 16, 256 * 256, 2)


@dataclass(frozen=True)
class Footprint:
    """What a model costs, from headers and configs (see `model_store.footprint`)."""

    family: str
    params: dict[str, int]  # weighted component -> parameter count
    denoisers: tuple[str, ...] = ("transformer",)  # the components run at every step
    text_encoders: tuple[str, ...] = ("text_encoder",)
    hidden: int = 0  # transformer width (0: unknown, activations from pixels instead)
    ffn: int = 0  # feed-forward width (0: 4 x hidden)
    layers: int = 0  # transformer blocks (0: unknown)
    patch: tuple[int, int, int] = (1, 2, 2)  # (t, h, w) latent cells per token
    vae_spatial: int = 8
    vae_temporal: int = 4

    @property
    def total_params(self) -> int:
        return sum(self.params.values())


@dataclass(frozen=True)
class Budget:
    """Memory the job may use: the device's free/total and the system's."""

    device: str  # "cuda", "mps" or "cpu"
    device_free: int
    device_total: int
    system_free: int
    system_total: int
    dtype: str = "bfloat16"  # what the engine loads weights in on this device


@dataclass(frozen=True)
class MemoryPlan:
    """One placement with its estimates; `text` is the line the GUI and recipe show."""

    placement: str  # "device", "model", "group", "sequential"
    vae_tiling: bool
    use_stream: bool
    device: str
    peak_device: int  # bytes on the GPU (0 on a CPU engine)
    peak_system: int  # bytes of system RAM
    available_device: int
    available_system: int
    slowdown: float
    width: int
    height: int
    frames: int
    fits: bool = True
    text: str = ""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict for the recipe and `ModelInfo.plan`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemoryPlan:
        """Inverse of `to_dict` (unknown keys ignored)."""
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Estimate:
    """Bytes per part of the job, before any placement is chosen."""

    weights: dict[str, int]
    denoise_activations: int
    vae_full: int  # untiled decode: working set + the decoded video on the device
    vae_tiled: int


def family_constants(family: str) -> FamilyConstants:
    """The family's constants, or conservative generic ones for an unknown family."""
    return FAMILIES.get(family, GENERIC)


def latent_tokens(fp: Footprint, width: int, height: int, frames: int) -> int:
    """Transformer tokens for one clip: latent frames x latent cells / patch."""
    latent_frames = (max(1, frames) - 1) // fp.vae_temporal + 1
    pt, ph, pw = fp.patch
    cells_h = math.ceil(height / fp.vae_spatial / ph)
    cells_w = math.ceil(width / fp.vae_spatial / pw)
    return math.ceil(latent_frames / pt) * cells_h * cells_w


def estimate(fp: Footprint, width: int, height: int, frames: int, dtype: str) -> Estimate:
    """Memory of each part of a job of `frames` x `height` x `width` in `dtype`."""
    consts = family_constants(fp.family)
    act_bytes = DTYPE_BYTES.get(dtype, 4)
    vae_bytes = 4 if consts.vae_float32 else act_bytes
    weights = {}
    for name, count in fp.params.items():
        weights[name] = count * (vae_bytes if name == "vae" else act_bytes)
    if fp.hidden:
        # At the peak of one block: the feed-forward input and its activation (2 x ffn), and
        # about six hidden-wide tensors (residual, norm, q, k, v, attention output). Fused
        # attention (SDPA/flash) never materialises the tokens x tokens matrix.
        ffn = fp.ffn or 4 * fp.hidden
        per_token = (2 * ffn + 6 * fp.hidden) * act_bytes
        denoise = latent_tokens(fp, width, height, frames) * per_token * consts.cfg_batch
    else:  # no transformer config (a non-diffusers model): scale with the pixels
        denoise = frames * width * height * 64 * act_bytes
    pixels = width * height
    scale = vae_bytes / 4
    decoded = frames * pixels * 3 * vae_bytes  # the whole clip, on the device, after decode
    chunk = consts.vae_chunk_frames or frames
    full = int(min(frames, chunk) * pixels * consts.vae_bytes_per_pixel * scale) + decoded
    tiled_chunk = consts.vae_tiled_chunk_frames or frames
    tile = min(pixels, consts.tile_pixels)
    tiled = int(min(frames, tiled_chunk) * tile * consts.vae_bytes_per_pixel * scale) + decoded
    return Estimate(weights, int(denoise), full, tiled)


def _describe(plan: MemoryPlan) -> str:
    size = f"{plan.width}x{plan.height}"
    if plan.device == "cpu":
        where = "all in system RAM (CPU)"
    elif plan.placement == "device":
        where = "all on the GPU" if plan.device == "cuda" else "all in unified memory"
    else:
        where = {
            "model": "with model offload",
            "group": "with group offload",
            "sequential": "with sequential offload",
        }[plan.placement]
    if plan.vae_tiling:
        where += " and VAE tiling" if plan.placement != "device" else ", VAE tiled"
    if not plan.fits:
        need = plan.peak_system if plan.device == "cpu" else plan.peak_device
        return f"does not fit at {size} {where} (needs ~{need / GB:.1f} GB)"
    slower = f", about {plan.slowdown:.1f}x slower" if plan.slowdown >= 1.05 else ""
    return f"fits at {size} {where}{slower}"


def candidates(fp: Footprint, budget: Budget, width: int, height: int, frames: int):
    """Every plan for this device, fastest first, each with its estimate and `fits`."""
    est = estimate(fp, width, height, frames, budget.dtype)
    weights = est.weights
    total_weights = sum(weights.values())
    vae_w = weights.get("vae", 0)
    others = {k: v for k, v in weights.items() if k != "vae"}
    # A total of 0 means the OS or driver did not say: that figure is not checked.
    unknown = 2**62
    avail_dev = int(budget.device_free * HEADROOM) if budget.device_total else unknown
    avail_sys = int(budget.system_free * HEADROOM) if budget.system_total else unknown
    unified = budget.device in ("cpu", "mps")  # one pool: offloading saves nothing
    cpu = budget.device == "cpu"

    def step_peak(name: str, resident: int) -> int:
        if name in fp.denoisers:
            return resident + est.denoise_activations
        if name in fp.text_encoders:
            return resident + TEXT_ACTIVATIONS
        return resident

    def largest_leaf(name: str, count: int) -> int:
        if name in fp.denoisers and fp.layers:
            return count // (3 * fp.layers)
        if name in fp.text_encoders:
            return int(count * TEXT_ENCODER_LARGEST_LEAF)
        return int(count * OTHER_LARGEST_LEAF)

    plans = []
    placements = ["device"] if unified else ["device", "model", "group", "sequential"]
    for placement in placements:
        for tiling in (False, True):
            decode = est.vae_tiled if tiling else est.vae_full
            largest = max(others.values(), default=0)
            if placement == "device":
                text = TEXT_ACTIVATIONS if fp.text_encoders else 0
                peak = total_weights + max(est.denoise_activations, text, decode)
                system = SYSTEM_OVERHEAD + largest  # from_pretrained stages one component
            else:
                if placement == "model":
                    resident = dict(others)
                elif placement == "group":
                    resident = {
                        k: GROUP_RESIDENT_LEAVES * largest_leaf(k, v) for k, v in others.items()
                    }
                else:
                    resident = {k: largest_leaf(k, v) for k, v in others.items()}
                step = max((step_peak(k, v) for k, v in resident.items()), default=0)
                peak = vae_w + max(step, decode)
                system = SYSTEM_OVERHEAD + sum(others.values())
            if unified:
                system = SYSTEM_OVERHEAD + peak  # weights and activations share one pool
            else:
                peak += DEVICE_OVERHEAD
            use_stream = placement == "group" and budget.device == "cuda"
            key = "group_no_stream" if placement == "group" and not use_stream else placement
            slowdown = SLOWDOWN[key] * (TILING_SLOWDOWN if tiling else 1.0)
            fits = system <= avail_sys and (unified or peak <= avail_dev)
            plan = MemoryPlan(
                placement=placement,
                vae_tiling=tiling,
                use_stream=use_stream,
                device=budget.device,
                peak_device=0 if cpu else peak,
                peak_system=system,
                available_device=avail_dev if budget.device_total and not cpu else 0,
                available_system=avail_sys if budget.system_total else 0,
                slowdown=round(slowdown, 2),
                width=width,
                height=height,
                frames=frames,
                fits=fits,
            )
            plans.append(replace(plan, text=_describe(plan)))
    return sorted(plans, key=lambda p: p.slowdown)


def choose(fp: Footprint, budget: Budget, width: int, height: int, frames: int) -> MemoryPlan:
    """The fastest plan that fits; EngineError(out_of_memory) saying what to change if none."""
    plans = candidates(fp, budget, width, height, frames)
    for plan in plans:
        if plan.fits:
            return plan
    raise EngineError(ErrorKind.OUT_OF_MEMORY, refusal(plans, budget))


def refusal(plans: list[MemoryPlan], budget: Budget) -> str:
    """Why nothing fits, in one line, with the smallest need of any plan."""
    least = min(plans, key=lambda p: p.peak_device if budget.device != "cpu" else p.peak_system)
    size = f"{least.width}x{least.height}, {least.frames} frames"
    if budget.device in ("cpu", "mps"):
        return (
            f"{size} needs ~{least.peak_system / GB:.1f} GB of memory, this machine has "
            f"{least.available_system / GB:.1f} GB free: lower the resolution or frames"
        )
    if least.peak_device > least.available_device:
        return (
            f"{size} needs ~{least.peak_device / GB:.1f} GB even with sequential offload, "
            f"this GPU has {budget.device_free / GB:.1f} GB free: lower the resolution or frames"
        )
    return (
        f"{size} needs ~{least.peak_system / GB:.1f} GB of system RAM to offload the model, "
        f"this machine has {least.available_system / GB:.1f} GB free: close other programs"
    )


def next_plan(current: MemoryPlan, fp: Footprint, budget: Budget) -> MemoryPlan | None:
    """The next plan after an out-of-memory: needs less device memory than `current`.

    Estimates were wrong once, so `fits` is not trusted here; the ladder only requires
    strictly less estimated device memory, which bounds it (at most 7 steps).
    """
    plans = candidates(fp, budget, current.width, current.height, current.frames)
    lower = [
        p for p in plans if p.peak_device < current.peak_device and p.slowdown >= current.slowdown
    ]
    return min(lower, key=lambda p: p.slowdown) if lower else None
