"""Pieces every diffusers-backed family shares: safe folder checks, loading, step plumbing,
cheap latent previews.

Nothing here knows about a particular family; `wan.py`, `ltx.py` and `cogvideox.py` supply
the pipeline classes, the latent layout and the RGB projection.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.adapters.base import StepCallback
from engine.protocol import ErrorKind

SAFE_WEIGHTS = (".safetensors",)
# Formats that torch/transformers would load with `pickle`, i.e. arbitrary code execution.
PICKLE_WEIGHTS = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")


def engine_error(kind: str, message: str) -> Exception:
    """Build the engine's typed error.

    Imported lazily so the adapters do not fix the import order of `engine.errors`, which is
    owned by the server side.
    """
    from engine.errors import EngineError

    return EngineError(kind, message)


def read_model_index(folder: Path) -> dict[str, Any] | None:
    """The folder's `model_index.json` as a dict, or None if it is not a diffusers folder."""
    index_path = Path(folder) / "model_index.json"
    if not index_path.is_file():
        return None
    try:
        data = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def read_component_config(folder: Path, component: str) -> dict[str, Any]:
    """`<component>/config.json` (or the scheduler's file) as a dict; {} when absent/broken."""
    for name in ("config.json", "scheduler_config.json"):
        path = Path(folder) / component / name
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def weighted_components(index: dict[str, Any]) -> list[str]:
    """Components in a model index that carry weights (not schedulers or tokenizers)."""
    names = []
    for name, value in index.items():
        if name.startswith("_") or not isinstance(value, list) or len(value) != 2:
            continue
        library, cls = value
        if library is None or cls is None:
            continue  # an optional component left out (e.g. Wan's transformer_2)
        if "Scheduler" in cls or "Tokenizer" in cls or "Processor" in cls:
            continue
        names.append(name)
    return names


def check_safetensors_only(folder: Path, components: Iterable[str]) -> None:
    """Refuse a folder where a component's weights exist only in pickle formats.

    Only file *names* are looked at: nothing is opened, so nothing can be unpickled. Raises
    the engine's EngineError (kind `model_missing`: the folder has no weights this engine is
    willing to load, which the user fixes in the model library, not in the request).
    """
    folder = Path(folder)
    pickled, missing = [], []
    for component in components:
        files = [p for p in (folder / component).rglob("*") if p.is_file()]
        has_safe = any(p.name.endswith(SAFE_WEIGHTS) for p in files)
        if has_safe:
            continue
        if any(p.name.endswith(PICKLE_WEIGHTS) for p in files):
            pickled.append(component)
        else:
            missing.append(component)
    if pickled:
        raise engine_error(
            ErrorKind.MODEL_MISSING,
            # EngineError keeps 300 characters: the how-to-fix part must fit in that.
            f"{', '.join(pickled)} weights are pickle files (.bin/.pt/.ckpt), which can run "
            "code when loaded; Kinora loads safetensors only. Convert once in a trusted Python: "
            "DiffusionPipeline.from_pretrained(folder).save_pretrained(new_folder, "
            f"safe_serialization=True) (folder: {folder.name})",
        )
    if missing:
        raise engine_error(
            ErrorKind.MODEL_MISSING,
            f"{folder.name}: no weights found for {', '.join(missing)}; the download looks "
            "incomplete. Download the folder again.",
        )


def load_pipeline(
    pipeline_cls: type,
    folder: Path,
    dtype: torch.dtype | dict[str, torch.dtype],
    device: torch.device,
    plan: Any = None,
):
    """`from_pretrained` from a local folder only, safetensors only, progress bars off.

    `dtype` may be a dict per component ({"default": bf16, "vae": float32}), as diffusers
    accepts it, so a component that must stay in float32 is never cast down and back up.
    `plan` (an `engine.memory_plan.MemoryPlan`, the adapter's `self.memory_plan`) places the
    components; without one everything moves to `device`.
    """
    import diffusers
    import transformers

    # The engine reports progress itself; tqdm on stderr would only pollute the log. The
    # engine is its own process, so turning the bars off globally is what we want.
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
    pipe = pipeline_cls.from_pretrained(
        str(folder), dtype=dtype, local_files_only=True, use_safetensors=True
    )
    pipe.set_progress_bar_config(disable=True)
    if plan is None:
        return pipe.to(device)
    return apply_memory_plan(pipe, plan, device)


def apply_memory_plan(pipe: Any, plan: Any, device: torch.device) -> Any:
    """Place a freshly loaded (CPU) pipeline as `plan` says; returns the pipeline.

    Placements (see engine/memory_plan.py): "device" moves everything; "model" is diffusers'
    model CPU offload; "group" is leaf-level group offload (CUDA streams prefetch the next
    leaf); "sequential" is accelerate's sequential offload. The VAE stays on the device in
    every offload plan: the adapters call `vae.decode` outside the pipeline call, with the
    latents moved to `vae.device`, which offload hooks would leave on the CPU (or on meta).
    Offload needs an accelerator: on a CPU device every plan is "device".
    """
    device = torch.device(device)
    placement = getattr(plan, "placement", "device")
    if device.type == "cpu" or placement == "device":
        pipe.to(device)
    elif placement == "model":
        pipe._exclude_from_cpu_offload = [*pipe._exclude_from_cpu_offload, "vae"]
        pipe.enable_model_cpu_offload(device=device)
    elif placement == "group":
        pipe.enable_group_offload(
            onload_device=device,
            offload_device=torch.device("cpu"),
            offload_type="leaf_level",
            use_stream=bool(getattr(plan, "use_stream", False)) and device.type == "cuda",
            exclude_modules=["vae"],
        )
    elif placement == "sequential":
        pipe._exclude_from_cpu_offload = [*pipe._exclude_from_cpu_offload, "vae"]
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        raise ValueError(f"unknown memory plan placement {placement!r}")
    set_vae_tiling(pipe, bool(getattr(plan, "vae_tiling", False)))
    vae = getattr(pipe, "vae", None)
    if vae is not None and hasattr(vae, "use_slicing"):  # enable_slicing raises otherwise
        vae.enable_slicing()  # batch 1 in our jobs: slicing costs nothing and caps batches
    return pipe


def apply_speedups(
    pipe: Any, device: torch.device, plan: Any, *, masked: bool, dispatched: bool = True
) -> dict[str, str]:
    """The attention backend and (when switched on) block compilation for a placed pipeline.

    `masked` / `dispatched` describe the family's attention (see `speedups.choose_attention`);
    the plan's placement decides whether compiled blocks would fight offload hooks.
    """
    from engine.adapters import speedups

    placement = getattr(plan, "placement", "device")
    return speedups.apply(pipe, device, masked=masked, dispatched=dispatched, placement=placement)


def check_draft(request: Any, info: Any) -> None:
    """UNSUPPORTED when a draft is asked of a model without the "draft" capability."""
    if getattr(request, "draft", False) and not info.can("draft"):
        raise engine_error(
            ErrorKind.UNSUPPORTED,
            f"{info.name} has no draft speed: its denoiser has too few blocks to cache",
        )


def load_component(model_cls: type, folder: Path, dtype: torch.dtype, device: torch.device):
    """One model outside a pipeline (e.g. LTX's latent upsampler): local, safetensors only."""
    model = model_cls.from_pretrained(
        str(folder), dtype=dtype, local_files_only=True, use_safetensors=True
    )
    return model.to(device)


def clean_latent_estimate(
    scheduler: Any, latents: torch.Tensor, previous: torch.Tensor | None, timestep: Any = None
) -> torch.Tensor:
    """Best cheap estimate of the clean latents right after a scheduler step.

    UniPC keeps its last x0 prediction in `model_outputs`. For flow-matching Euler the
    velocity is recovered from two consecutive latents (x_next = x + (s_next - s) * v), and
    x0 = x_next - s_next * v. Deterministic DDIM (CogVideoX-2b) is solved the same way from
    the step's `timestep` (see `_ddim_clean_estimate`). Otherwise the noisy latents
    themselves are the best we have.
    """
    ddim = _ddim_clean_estimate(scheduler, latents, previous, timestep)
    if ddim is not None:
        return ddim
    outputs = getattr(scheduler, "model_outputs", None)
    if getattr(scheduler, "predict_x0", False) and outputs and outputs[-1] is not None:
        candidate = outputs[-1]
        if candidate.shape == latents.shape:
            return candidate
    sigmas = getattr(scheduler, "sigmas", None)
    index = getattr(scheduler, "step_index", None)
    if previous is not None and sigmas is not None and index is not None and index >= 1:
        s_now, s_prev = float(sigmas[index]), float(sigmas[index - 1])
        if s_prev != s_now:
            velocity = (latents.float() - previous.float()) / (s_now - s_prev)
            return latents.float() - s_now * velocity
    return latents


def _ddim_clean_estimate(
    scheduler: Any, latents: torch.Tensor, previous: torch.Tensor | None, timestep: Any
) -> torch.Tensor | None:
    """x0 from two consecutive DDIM latents (eta 0), or None for other schedulers.

    x_t = sqrt(a_t) x0 + sqrt(1 - a_t) eps and x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev) eps
    share x0 and eps: two equations, two unknowns.
    """
    if "DDIM" not in type(scheduler).__name__ or previous is None or timestep is None:
        return None
    steps = getattr(scheduler, "num_inference_steps", None)
    alphas = getattr(scheduler, "alphas_cumprod", None)
    if not steps or alphas is None:
        return None
    t = int(timestep)
    prev_t = t - scheduler.config.num_train_timesteps // steps
    a_t = float(alphas[t])
    a_prev = float(alphas[prev_t]) if prev_t >= 0 else float(scheduler.final_alpha_cumprod)
    denominator = a_prev**0.5 * (1 - a_t) ** 0.5 - a_t**0.5 * (1 - a_prev) ** 0.5
    if abs(denominator) < 1e-6:
        return None
    x_t, x_prev = previous.float(), latents.float()
    return ((1 - a_t) ** 0.5 * x_prev - (1 - a_prev) ** 0.5 * x_t) / denominator


def step_callback(
    on_step: StepCallback,
    to_preview_layout: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> Callable[..., dict[str, Any]]:
    """A diffusers `callback_on_step_end` that reports every step to `on_step`.

    Whatever `on_step` raises (the engine's JobInterrupted) propagates out of the pipeline
    call, which is what stops a job before any decode: diffusers' own `_interrupt` flag
    would still decode the half-done latents.

    `to_preview_layout` maps the loop's latents to the layout the adapter's `sample`
    returns (and `preview` reads): LTX-Video denoises packed token sequences, for example.
    """
    state: dict[str, torch.Tensor | None] = {"previous": None}

    def callback(pipe: Any, step_index: int, timestep: Any, kwargs: dict[str, Any]):
        latents = kwargs["latents"]
        preview = clean_latent_estimate(pipe.scheduler, latents, state["previous"], timestep)
        state["previous"] = latents.detach().clone()
        if to_preview_layout is not None:
            preview = to_preview_layout(preview)
        on_step(step_index + 1, int(pipe.num_timesteps), preview.detach())
        return kwargs

    return callback


def sibling_pipeline(pipe: Any, cls: type, cache: dict[type, Any], **overrides: Any) -> Any:
    """`pipe`'s weights re-shaped as diffusers pipeline class `cls`, cached in `cache`.

    Not `from_pipe`: it casts every shared module to one dtype, which would turn a float32
    VAE into bf16 for every sibling. `overrides` replace components (e.g. a scheduler
    configured for that pipeline); nothing is copied, the modules are shared.
    """
    if cls not in cache:
        modules, options = cls._get_signature_keys(cls)
        kwargs = {k: v for k, v in pipe.components.items() if k in modules}
        kwargs.update({k: v for k, v in pipe.config.items() if k in options})
        kwargs.update(overrides)
        sibling = cls(**kwargs)
        sibling.set_progress_bar_config(disable=True)
        cache[cls] = sibling
    return cache[cls]


def set_vae_tiling(pipe: Any, enabled: bool) -> None:
    """Tile the VAE decode when the VAE supports it (less peak memory at the end of a job).

    diffusers only tiles above its tile size (256 to 512 px), so small clips are unchanged.
    """
    vae = getattr(pipe, "vae", None)
    if vae is not None and hasattr(vae, "enable_tiling"):
        vae.enable_tiling() if enabled else vae.disable_tiling()


def free_device_memory() -> None:
    """Collect garbage and return cached CUDA memory after dropping a pipeline."""
    import gc

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def latent_call_kwargs(request: Any, on_step: StepCallback, to_preview_layout=None) -> dict:
    """The pipeline-call arguments every family shares: text, size, sampling, a CPU-seeded
    generator, latents out (the engine decodes later, and never after an interrupt), and
    the step callback. Families add their own conditioning keys to the returned dict."""
    return {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt or None,
        "height": request.height,
        "width": request.width,
        "num_inference_steps": request.steps,
        "guidance_scale": request.guidance,
        "generator": cpu_generator(request.seed),
        "output_type": "latent",
        "return_dict": False,
        "callback_on_step_end": step_callback(on_step, to_preview_layout),
        "callback_on_step_end_tensor_inputs": ["latents"],
    }


def cpu_generator(seed: int) -> torch.Generator:
    """A CPU generator: the same noise for a seed on every device."""
    return torch.Generator("cpu").manual_seed(int(seed))


def frames_to_uint8(frames: Any) -> np.ndarray:
    """Floats in [0, 1] (what `postprocess_video(output_type="np")` gives) -> uint8."""
    return (np.asarray(frames) * 255).round().astype(np.uint8)


def project_latent_frame(
    frame: torch.Tensor, factors: torch.Tensor, bias: torch.Tensor, upscale: int
) -> np.ndarray:
    """One latent frame (C, h, w) -> uint8 RGB (h*upscale, w*upscale, 3) by a linear map.

    `factors` is (C, 3) and maps normalised latents to RGB in [-1, 1].
    """
    rgb = (
        torch.einsum("chw,cr->rhw", frame.float().cpu(), factors.float())
        + bias.float()[:, None, None]
    )
    rgb = ((rgb + 1.0) / 2.0).clamp(0, 1)
    if upscale > 1:
        rgb = torch.nn.functional.interpolate(rgb[None], scale_factor=upscale, mode="bilinear")[0]
    return (rgb.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def fit_rgb_projection(
    decode: Callable[[torch.Tensor], torch.Tensor], channels: int, spatial: int, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Least-squares (C, 3) factors and (3,) bias from one small VAE decode.

    For a latent layout with no published factors: decode a random normalised latent
    (1, C, 1, 8, 8), average the pixels under each latent cell, and fit latent -> RGB.
    `decode` takes normalised latents and returns pixels in [-1, 1] as (1, 3, T, H, W).
    """
    generator = torch.Generator("cpu").manual_seed(seed)
    latents = torch.randn((1, channels, 1, 8, 8), generator=generator)
    with torch.no_grad():
        pixels = decode(latents)[:, :, 0].float().cpu()  # (1, 3, H, W)
    pooled = torch.nn.functional.avg_pool2d(pixels, kernel_size=spatial)[0]  # (3, 8, 8)
    x = latents[0, :, 0].reshape(channels, -1).T  # (64, C)
    x = torch.cat([x, torch.ones(x.shape[0], 1)], dim=1)
    y = pooled.reshape(3, -1).T  # (64, 3)
    solution = torch.linalg.lstsq(x, y).solution  # (C + 1, 3)
    return solution[:-1], solution[-1]


def check_size_and_frames(request: Any, family: str, multiple: int, frame_multiple: int) -> None:
    """BAD_INPUT unless width/height are multiples of `multiple` and the frame count (and a
    remix source's) is `k * frame_multiple + 1`. `family` names the model in the message."""
    bad = ErrorKind.BAD_INPUT
    if request.width % multiple or request.height % multiple:
        raise engine_error(
            bad,
            f"{request.width}x{request.height}: {family} needs width and height in "
            f"multiples of {multiple}; pick a size preset",
        )
    counts = [("", request.num_frames)]
    if request.init_video is not None:
        counts.append(("the source clip has ", len(request.init_video)))
    for prefix, count in counts:
        if count % frame_multiple != 1 % frame_multiple:
            raise engine_error(
                bad, f"{prefix}{count} frames: {family} needs a multiple of {frame_multiple} plus 1"
            )


def check_remix_strength(request: Any) -> None:
    """BAD_INPUT when `strength` x `steps` leaves no denoising step to run."""
    if int(request.steps * request.strength) < 1:
        raise engine_error(
            ErrorKind.BAD_INPUT,
            f"strength {request.strength:g} with {request.steps} steps changes nothing; "
            "raise the strength or the steps",
        )
