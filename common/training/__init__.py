"""Training: the loop every method subclasses, the engine loop, the DeepSpeed engine, the
policy set-up (LoRA, reference, optimizer) and the rollout-only evaluation loop."""
