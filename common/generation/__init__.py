"""Generation: the rollout (own decode loop or ``model.generate``), sampling, the prompt prefill,
response log-probs, LoRA folding, prepacked CPU linears and the ``Rollout`` batch type."""
