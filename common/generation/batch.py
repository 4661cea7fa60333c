"""The batch type every stage after generation reads: prompts, responses, their masks and
texts (:class:`Rollout`). Its own module so that the decode loop, the log-probs and the
rollout functions all import it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Rollout:
    """One batch of generated responses.

    Attributes:
        prompt_ids: (B, P) left-padded prompt token ids.
        prompt_mask: (B, P) 1 on real prompt tokens.
        response_ids: (B, T) generated ids (pad after the first EOS).
        response_mask: (B, T) 1 on response tokens up to and including the first EOS.
        texts: B decoded responses (special tokens removed).
        seconds: wall time spent generating.
    """

    prompt_ids: torch.Tensor
    prompt_mask: torch.Tensor
    response_ids: torch.Tensor
    response_mask: torch.Tensor
    texts: list[str]
    seconds: float = 0.0

    @property
    def input_ids(self) -> torch.Tensor:
        """(B, P + T) prompt and response concatenated."""
        return torch.cat([self.prompt_ids, self.response_ids], dim=1)

    @property
    def attention_mask(self) -> torch.Tensor:
        """(B, P + T) attention over real prompt and response tokens."""
        return torch.cat([self.prompt_mask, self.response_mask], dim=1)

    @property
    def num_response_tokens(self) -> int:
        return int(self.response_mask.sum())
