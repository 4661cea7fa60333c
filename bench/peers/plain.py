"""The plain step: a hand-written ReMax step (sample + greedy ``generate``, the same reward
scoring, reference forward, policy forward/backward with ``logits_to_keep``, AdamW), a
reference point for what the step costs without any framework; timed beside ours in
``rloo.py``.
"""

from __future__ import annotations

import copy


class PlainReMax:
    """ReMax written out by hand: no engine, no loop, one AdamW over the full policy."""

    def __init__(
        self, model_name: str, prompts: list[str], score, new_tokens: int, tr, precision: str
    ) -> None:
        import torch

        from common.models.assets import load_causal_lm

        self.model, self.tok = load_causal_lm(model_name)
        self.ref = copy.deepcopy(self.model).eval().requires_grad_(False)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=float(tr.lr), betas=(0.9, 0.95))
        self.enc = self.tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        self.score, self.T, self.tr = score, new_tokens, tr
        self.bf16 = precision == "bf16"  # bf16 autocast over fp32 weights, as TRL's bf16=True

    def step(self) -> None:
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            self._step()

    def _step(self) -> None:
        import torch
        import torch.nn.functional as F

        m, T, tr, enc = self.model, self.T, self.tr, self.enc
        gen = dict(max_new_tokens=T, min_new_tokens=T, pad_token_id=self.tok.pad_token_id)
        m.eval()
        with torch.no_grad():
            seq = m.generate(
                **enc, do_sample=True, temperature=tr.temperature, top_p=tr.top_p, top_k=0, **gen
            )
            greedy = m.generate(
                **enc, do_sample=False, temperature=None, top_p=None, top_k=None, **gen
            )
        P = enc["input_ids"].shape[1]
        decode = self.tok.batch_decode
        adv = torch.tensor(self.score(decode(seq[:, P:], skip_special_tokens=True)))
        adv -= torch.tensor(self.score(decode(greedy[:, P:], skip_special_tokens=True)))
        adv = adv.clamp(-tr.adv_clip, tr.adv_clip)
        attn = torch.cat([enc["attention_mask"], torch.ones_like(seq[:, P:])], dim=1)
        kw = dict(
            input_ids=seq,
            attention_mask=attn,
            position_ids=(attn.cumsum(1) - 1).clamp(min=0),
            logits_to_keep=T + 1,  # only the logits that predict response tokens
        )
        target = seq[:, P:].unsqueeze(-1)

        def logps(model):
            logits = model(**kw).logits[:, :-1].float()
            return torch.gather(F.log_softmax(logits, -1), 2, target).squeeze(-1)

        with torch.no_grad():
            ref = logps(self.ref)
        m.train()
        logp = logps(m)
        rewards = -tr.kl_coef * (logp.detach() - ref)
        rewards[:, -1] += adv
        returns, running = torch.zeros_like(rewards), torch.zeros_like(rewards[:, 0])
        for t in range(T - 1, -1, -1):
            running = rewards[:, t] + tr.gamma * running
            returns[:, t] = running
        loss = -(returns * logp).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
