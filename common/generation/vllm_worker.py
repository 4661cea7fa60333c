"""The vLLM generation worker: a process of its own, started by
``common.generation.vllm_engine.VllmEngine`` with the Python that has vLLM (the CPU build
lives in ``.venv-vllm``, whose transformers is older than the project's).

    <python with vllm> -m common.generation.vllm_worker READ_FD WRITE_FD OPTIONS_JSON

Imports only the standard library and vLLM: the project's modules need the main
environment's packages. Talks to its parent over two inherited pipe descriptors, one message
per ``multiprocessing.connection`` frame (a length-prefixed byte string) holding UTF-8 JSON;
stdout and stderr (vLLM's logs) go wherever the parent pointed them.

Messages (parent -> worker, then the worker's answer):
    {"op": "generate", "prompts": [[ids]], "params": [{SamplingParams kwargs}]}
        -> {"ok": true, "outputs": [[ids]], "seconds": s}: one response per prompt row, in
        order (the parent asks one row per request; vLLM's prefix cache shares the prompt).
    {"op": "reload"}
        -> {"ok": true, "seconds": s}: the weights re-read from the model folder (the parent
        has just rewritten its safetensors), and the prefix cache dropped (its KV entries
        were computed with the old weights).
    {"op": "close"} -> {"ok": true}, then the worker exits.
Any failure answers {"ok": false, "error": traceback text}. The first message the worker
sends is {"ok": true, "ready": true, "vllm": version} once the engine is built (or the error).

Weight sync: the CPU backend repacks linear weights after loading, so calling the model's
``load_weights`` with new tensors fails there; ``reload_weights`` re-runs the whole
load-and-process path, which works on CPU and GPU alike (0.27 s for a 135M bf16 policy here).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback
from multiprocessing.connection import Connection

# Before vLLM is imported: the engine core runs in this process (no second spawned process),
# so reload_weights reaches the model directly.
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")


def build_llm(options: dict):
    """The ``vllm.LLM`` over ``options["model"]`` (a folder with config.json and
    model.safetensors) with the engine options the parent chose."""
    if options.get("kvcache_gib") is not None:
        # vLLM reads a whole number of GiB.
        os.environ["VLLM_CPU_KVCACHE_SPACE"] = str(max(1, math.ceil(float(options["kvcache_gib"]))))
    from vllm import LLM

    kwargs = dict(
        model=options["model"],
        dtype=options.get("dtype", "auto"),
        seed=int(options.get("seed", 0)),
        # The parent sends token ids and decodes them itself; the tokenizer saved by a newer
        # transformers need not load here.
        skip_tokenizer_init=True,
        # Defaults from generation_config.json would change the parent's sampling settings.
        generation_config="vllm",
        enforce_eager=bool(options.get("enforce_eager", True)),
        enable_prefix_caching=True,
    )
    if options.get("max_model_len"):
        kwargs["max_model_len"] = int(options["max_model_len"])
    if options.get("gpu_memory_utilization") is not None:
        kwargs["gpu_memory_utilization"] = float(options["gpu_memory_utilization"])
    return LLM(**kwargs)


def generate(llm, prompts: list[list[int]], params: list[dict]) -> list[list[int]]:
    """One response (token ids, the stop token included) per prompt row."""
    from vllm import SamplingParams

    requests = [{"prompt_token_ids": list(p)} for p in prompts]
    sampling = [SamplingParams(**kw) for kw in params]
    outputs = llm.generate(requests, sampling, use_tqdm=False)
    return [list(o.outputs[0].token_ids) for o in outputs]


def reload(llm) -> None:
    llm.collective_rpc("reload_weights")
    llm.apply_model(refresh_tied_heads)
    llm.reset_prefix_cache()


def refresh_tied_heads(model) -> int:
    """Re-process every layer that shares its weight with another and got none of its own
    in the reload: a tied LM head (GPT-2, SmolLM2). Why: on CPU a layer's
    ``process_weights_after_loading`` builds a packed copy of its weight for its GEMM
    (``cpu_linear``); ``reload_weights`` processes the layers it loads, and the tied head
    loads nothing (its weight is the embedding's), so it kept computing logits from the
    weights of the first load. Returns the number of layers re-processed."""
    owners: dict[int, str] = {}
    refreshed = 0
    for name, module in model.named_modules():
        weight = module.__dict__.get("_parameters", {}).get("weight")
        method = getattr(module, "quant_method", None)
        if weight is None or method is None:
            continue
        if id(weight) in owners and hasattr(method, "process_weights_after_loading"):
            method.process_weights_after_loading(module)
            refreshed += 1
        owners.setdefault(id(weight), name)
    return refreshed


def serve(conn_in: Connection, conn_out: Connection, options: dict) -> None:
    def send(msg: dict) -> None:
        conn_out.send_bytes(json.dumps(msg).encode())

    try:
        llm = build_llm(options)
        import vllm

        send({"ok": True, "ready": True, "vllm": vllm.__version__})
    except BaseException:
        send({"ok": False, "error": traceback.format_exc()})
        return
    while True:
        try:
            msg = json.loads(conn_in.recv_bytes())
        except EOFError:  # the parent went away
            return
        op = msg.get("op")
        start = time.perf_counter()
        try:
            if op == "generate":
                outputs = generate(llm, msg["prompts"], msg["params"])
                send({"ok": True, "outputs": outputs, "seconds": time.perf_counter() - start})
            elif op == "reload":
                reload(llm)
                send({"ok": True, "seconds": time.perf_counter() - start})
            elif op == "close":
                send({"ok": True})
                return
            else:
                send({"ok": False, "error": f"unknown op {op!r}; allowed: generate, reload, close"})
        except Exception:
            send({"ok": False, "error": traceback.format_exc()})


def main(argv: list[str]) -> None:
    read_fd, write_fd, options = int(argv[0]), int(argv[1]), json.loads(argv[2])
    conn_in = Connection(read_fd, writable=False)
    conn_out = Connection(write_fd, readable=False)
    serve(conn_in, conn_out, options)
    conn_out.close()


if __name__ == "__main__":
    main(sys.argv[1:])
