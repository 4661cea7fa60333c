"""Peers: this project's ReMax and DPO steps against TRL's RLOO and DPO trainers.

    python -m bench.bench_peers [--steps 3] [--prompts 8] [--new-tokens 32] [--model default]
                                [--precision auto|fp32|bf16] [--threads N]
                                [--trl-gradient-checkpointing] [--grpo | --grpo-only]

Everything runs in one process on the same policy (``--model``, the embedded SmolLM2-135M-
Instruct by default), the same ``--prompts`` prompts (the first batch ``PolicyGradientLoop`` draws from
the bundled shopping sample, chat-templated by ``format_prompt``) and responses of exactly
``--new-tokens`` tokens everywhere (EOS suppressed until then: ``min_new_tokens`` =
``max_new_tokens``, so an early EOS never makes one side cheaper). Every side runs in one
precision, ``--precision`` resolved as ``model.precision`` resolves it (``auto``: bf16 on a CPU
with AMX or AVX512-BF16): ours with ``model.precision=<it>`` (fp32 master weights and optimizer
state, bf16 compute), TRL with ``bf16=True`` (accelerate's bf16 autocast over fp32 weights, the
same split), the plain step under the same autocast.

One file per peer, each timing ours and the peer's step on the same work:
    ``rloo.py``   ReMax vs TRL ``RLOOTrainer`` (and vs ``plain.py``, a hand-written ReMax step)
    ``dpo.py``    the DPO training part of a LASeR step vs TRL ``DPOTrainer``
    ``grpo.py``   GRPO vs TRL ``GRPOTrainer`` (``--grpo`` / ``--grpo-only``)
``common.py`` holds what they share (TRL set-up, interleaved timing, ratios and verdicts);
``driver.py`` parses the options, runs them and writes the result files.

Fairness choices. TRL's trainers default to gradient checkpointing (a recomputed forward,
trading time for memory); ours runs without it, so TRL runs without it too unless
``--trl-gradient-checkpointing`` (TRL's out-of-the-box setting). TRL steps are timed from
``on_step_begin`` to ``on_step_end`` (generation, scoring, forwards, backward, clipping,
optimizer), which leaves out the Trainer's dataloader and logging between steps, as ours
leaves out ``next_batch`` and the tracker. Each ratio's two sides are interleaved round by
round (the TRL step, then ours, from a TRL callback), so a busy spell on the shared cores
hits both. The plain step is interleaved with ours after the TRL trainer is freed (two
policies with references and optimizer states resident at a time, not three: 8 prompts of
~300 tokens need several GB of activations per side). Round 1 of each run is warm-up; each
figure is the median of ``--steps`` rounds. Peak resident memory is recorded.
On a machine other jobs keep busy, ``--threads 1`` gives steadier figures: with two OpenMP
threads competing for the cores, a small matmul was measured 3-30x slower than with one.

Without TRL the bench says how to install it, still times our steps and the plain step,
writes ``"trl": null`` and exits 0. Writes ``bench/results/peers.json``.
"""
