"""Optional speedups for a loaded diffusers pipeline, each one a setting with a reason.

- Attention backend (engine setting `KINORA_ATTENTION`, default "auto"): the fastest *exact*
  kernel this device and install can run (FlashAttention 3 on Hopper, FlashAttention 2 on
  Ampere or newer), else torch's native attention. Exact means the same maths, so "auto" is
  on by default; the numbers differ only in rounding. Approximate kernels (SageAttention's
  8-bit QK) and kernels fetched from the Hub are used only when named explicitly, and never
  downloaded: the engine runs offline.
- Regional compilation (engine setting `KINORA_COMPILE=1`, default off until
  `bench/gpu_models.py` has measured it): `compile_repeated_blocks` on the denoiser, CUDA
  only, and not under group/sequential offload, whose hooks move weights inside the blocks.
- Draft speed (the jobs' `draft` field): diffusers' first-block cache on every denoiser for
  one sampling call, removed afterwards. It changes the output, so the recipe says so.

`apply` runs once per load and returns what it chose (the adapters keep it as
`model.speedups` and log it); `draft_cache` wraps one sampling call.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

log = logging.getLogger(__name__)

ATTENTION_ENV = "KINORA_ATTENTION"
COMPILE_ENV = "KINORA_COMPILE"

DENOISERS = ("transformer", "transformer_2")  # Wan 2.2 A14B has a second expert

# First-block cache: when the first block's residual changed by less than this fraction
# since the previous step, the other blocks are skipped and their cached residual reused.
# 0.05 is diffusers' default and the low end of ParaAttention's published range.
DRAFT_METHOD = "first-block cache"
DRAFT_THRESHOLD = 0.05
# The cache needs a head block and a tail block: a denoiser of one block has nothing to skip.
DRAFT_MIN_BLOCKS = 2

NATIVE = "native"
# Exact kernels "auto" may pick, fastest first, with the compute capability each needs.
_EXACT_FLASH = (
    ("_flash_3", (9, 0), (9, 9), "FlashAttention 3"),
    ("flash", (8, 0), None, "FlashAttention 2"),
)
_MASKLESS = {"flash", "_flash_3", "flash_varlen", "_flash_varlen_3"}


def draft_label(threshold: float = DRAFT_THRESHOLD) -> str:
    """The line the recipe and the GUI show for a draft render."""
    return f"draft speed: {DRAFT_METHOD}, threshold {threshold:g} (changes the output)"


def draft_recipe() -> dict[str, Any]:
    """What a draft render records in its recipe (and hashes: it changes the latents)."""
    return {"method": DRAFT_METHOD, "threshold": DRAFT_THRESHOLD, "label": draft_label()}


def supports_draft(transformer_config: dict[str, Any]) -> bool:
    """Whether the first-block cache can run on a denoiser, from its config alone.

    Every family we ship (Wan, LTX-Video, CogVideoX) has its blocks registered with
    diffusers' cache hooks; what can rule it out is a denoiser with a single block.
    """
    return int(transformer_config.get("num_layers") or 0) >= DRAFT_MIN_BLOCKS


def denoisers(pipe: Any) -> list[Any]:
    """The pipeline's denoising transformers (one, or two experts for Wan 2.2 A14B)."""
    found = []
    for name in DENOISERS:
        module = getattr(pipe, name, None)
        if module is not None and module not in found:
            found.append(module)
    return found


# --- attention -----------------------------------------------------------------------------


def choose_attention(
    device: torch.device, *, masked: bool, dispatched: bool = True, wanted: str | None = None
) -> tuple[str, str]:
    """(backend, why) for a denoiser on `device`.

    `masked`: the family passes an attention mask (LTX-Video masks its text tokens), which
    the flash kernels refuse. `dispatched`: the family's attention goes through diffusers'
    dispatcher at all (CogVideoX calls torch's SDPA directly, so there is nothing to pick).
    `wanted` is the engine setting (None: read `KINORA_ATTENTION`).
    """
    wanted = (wanted or os.environ.get(ATTENTION_ENV) or "auto").strip().lower()
    device = torch.device(device)
    if not dispatched:
        return NATIVE, "native: this family calls torch's attention directly"
    if wanted == NATIVE:
        return NATIVE, f"native: {ATTENTION_ENV}=native"
    if device.type != "cuda":
        return (
            NATIVE,
            f"native: the fused attention kernels need CUDA (this engine runs on {device.type})",
        )
    if wanted != "auto":
        return _explicit_backend(wanted, masked)
    if masked:
        return NATIVE, "native: this family masks its text tokens, which flash kernels refuse"
    capability = torch.cuda.get_device_capability(device)
    missing = []
    for name, low, high, title in _EXACT_FLASH:
        if capability < low or (high is not None and capability > high):
            continue
        if _backend_usable(name):
            return (
                name,
                f"{name}: {title}, exact, on compute capability {capability[0]}.{capability[1]}",
            )
        missing.append(title)
    if missing:
        return (
            NATIVE,
            f"native: {' / '.join(missing)} not installed (torch SDPA picks its own kernel)",
        )
    return (
        NATIVE,
        f"native: no faster exact kernel for compute capability {capability[0]}.{capability[1]}",
    )


def _explicit_backend(name: str, masked: bool) -> tuple[str, str]:
    """The backend the user named, if it can run here; else native with the reason."""
    try:
        from diffusers.models.attention_dispatch import AttentionBackendName
    except ImportError:
        return NATIVE, "native: this diffusers has no attention dispatcher"
    known = {b.value for b in AttentionBackendName}
    if name not in known:
        return NATIVE, f"native: {ATTENTION_ENV}={name} is not a diffusers attention backend"
    if name.endswith("_hub"):
        return NATIVE, f"native: {name} downloads its kernel from the Hub; the engine runs offline"
    if masked and name in _MASKLESS:
        return NATIVE, f"native: {name} refuses the attention mask this family passes"
    if not _backend_usable(name):
        return NATIVE, f"native: {name} is not installed or too old"
    exact = "approximate (8-bit), output differs" if name.startswith("sage") else "as asked"
    return name, f"{name}: {ATTENTION_ENV}={name}, {exact}"


def _backend_usable(name: str) -> bool:
    """Whether diffusers can run backend `name` (its package importable, new enough)."""
    try:
        from diffusers.models.attention_dispatch import (
            AttentionBackendName,
            _check_attention_backend_requirements,
        )

        _check_attention_backend_requirements(AttentionBackendName(name))
    except Exception:  # RuntimeError (missing package), ValueError (unknown), ImportError
        return False
    return True


def set_attention(pipe: Any, backend: str) -> None:
    """Put every denoiser's attention on `backend`.

    Also when it is "native": diffusers keeps one process-wide active backend, and a model
    loaded earlier with another backend must not leak it into this one.
    """
    for module in denoisers(pipe):
        if hasattr(module, "set_attention_backend"):
            module.set_attention_backend(backend)


# --- regional compilation ------------------------------------------------------------------


def choose_compile(device: torch.device, placement: str, wanted: bool | None = None):
    """(on, why) for `compile_repeated_blocks`; `wanted` None reads `KINORA_COMPILE`."""
    if wanted is None:
        wanted = os.environ.get(COMPILE_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    device = torch.device(device)
    if not wanted:
        return (
            False,
            f"off: set {COMPILE_ENV}=1 to compile the transformer blocks (not measured yet)",
        )
    if device.type != "cuda":
        return (
            False,
            f"skipped: compiling the transformer blocks is for CUDA only (this engine runs on {device.type})",
        )
    if placement in ("group", "sequential"):
        return (
            False,
            f"skipped: {placement} offload moves weights inside the blocks, which compiled blocks would re-trace",
        )
    return (
        True,
        "on: torch.compile of the repeated transformer blocks (the first step at each new size compiles)",
    )


def compile_blocks(pipe: Any) -> str | None:
    """Compile each denoiser's repeated blocks; None when done, else why it could not."""
    for module in denoisers(pipe):
        try:
            # Not fullgraph: the draft cache's skip decision is a graph break by design.
            module.compile_repeated_blocks(fullgraph=False)
        except (AttributeError, ValueError) as exc:  # an old diffusers, no _repeated_blocks
            return f"skipped: {type(module).__name__} cannot compile its blocks ({exc})"
    return None


# --- applying them at load -----------------------------------------------------------------


def apply(
    pipe: Any,
    device: torch.device,
    *,
    masked: bool,
    dispatched: bool = True,
    placement: str = "device",
    compile_blocks_wanted: bool | None = None,
) -> dict[str, str]:
    """Choose and apply the speedups for a freshly placed pipeline; returns what was chosen.

    {"attention": backend, "attention_reason": ..., "compile": "on"/"off",
    "compile_reason": ...}. Every choice is logged with its reason.
    """
    backend, why = choose_attention(device, masked=masked, dispatched=dispatched)
    if dispatched:
        try:
            set_attention(pipe, backend)
        except Exception as exc:  # a backend that fails its own checks: stay exact and safe
            log.warning("attention backend %s refused (%s); using native", backend, exc)
            backend, why = NATIVE, f"native: {backend} refused by diffusers ({exc})"
            set_attention(pipe, NATIVE)
    on, compile_why = choose_compile(device, placement, compile_blocks_wanted)
    if on:
        failure = compile_blocks(pipe)
        if failure is not None:
            on, compile_why = False, failure
    chosen = {
        "attention": backend,
        "attention_reason": why,
        "compile": "on" if on else "off",
        "compile_reason": compile_why,
    }
    log.info("speedups: attention %s; compile %s", why, compile_why)
    return chosen


# --- draft speed ---------------------------------------------------------------------------


@contextmanager
def draft_cache(pipe: Any, enabled: bool, threshold: float | None = None) -> Iterator[None]:
    """First-block cache on every denoiser for the duration of one sampling call.

    Enabled fresh for each call (the cache's state never carries over from another job, so
    a draft is reproducible from its seed) and always removed afterwards, also after an
    interrupt or an error, so the next non-draft job runs the full model again.
    """
    if not enabled:
        yield
        return
    from diffusers.hooks import FirstBlockCacheConfig

    cached = []
    try:
        for module in denoisers(pipe):
            if getattr(module, "is_cache_enabled", False):
                module.disable_cache()  # left over from a crashed call: start clean
            config = FirstBlockCacheConfig(threshold=threshold or DRAFT_THRESHOLD)
            module.enable_cache(config)
            cached.append(module)
        yield
    finally:
        for module in cached:
            module.disable_cache()
