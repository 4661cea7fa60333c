"""Peers: this project's ReMax and DPO steps against TRL's RLOO and DPO trainers.

    python -m bench.bench_peers [--steps 3] [--prompts 8] [--new-tokens 32] [--model default]
                                [--precision auto|fp32|bf16] [--threads N]
                                [--trl-gradient-checkpointing] [--grpo | --grpo-only]

The command's entry point; the comparisons live in ``bench/peers/`` (one file per peer, the
method and its fairness choices in ``bench/peers/__init__.py``).
"""

from bench.peers.driver import main

if __name__ == "__main__":
    main()
